package io.topics.cli.command;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import picocli.CommandLine.Option;

/** The options {@code bench write} and {@code bench read} share. */
final class BenchOptions {
    static final long DEFAULT_COUNT = 100_000;
    /** {@code {"p":""}}: the smallest payload of the padded shape. */
    static final int MIN_RECORD_SIZE = 8;
    static final int MAX_RECORD_SIZE = 1 << 20; // spec §1.7: record_too_large above 1 MiB
    static final int MAX_CONCURRENCY = 1024;
    /** The server's default body limit (spec §15); a bigger write is 413. */
    static final long MAX_REQUEST_BYTES = 64L << 20;
    /** What a record adds to a write request besides its data: {@code {"data":},}. */
    private static final int RECORD_FRAMING = 10;

    @Option(names = "--topic", paramLabel = "TOPIC", defaultValue = "bench",
            description = "Topic to use (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = {"-c", "--concurrency"}, paramLabel = "N", defaultValue = "16",
            description = "Workers, each with one request in flight on its own connection (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "100",
            description = "Records per write request, or the limit of each diff (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--record-size", paramLabel = "BYTES", defaultValue = "100",
            description = "Size of each record's data, {\"p\":\"xxx...\"}, in bytes of JSON (default: ${DEFAULT-VALUE}).")
    int recordSize;

    @Option(names = {"-n", "--count"}, paramLabel = "N",
            description = "Records to write, or to read back (default: " + DEFAULT_COUNT + " unless --duration).")
    Long count;

    @Option(names = {"-d", "--duration"}, paramLabel = "TIME", converter = DurationConverter.class,
            description = "Run for TIME (e.g. 10s, 2m) instead of a record count.")
    Duration duration;

    @Option(names = "--durability", paramLabel = "CLASS",
            description = "Create or configure the topic with this durability class first (ephemeral, memory, disk, fsync).")
    String durability;

    /** Checks the shared options; {@code maxBatch} differs between writes and reads. */
    void validate(ServerCommand cmd, int maxBatch) {
        cmd.topicName(topic);
        cmd.requireBetween("--concurrency", concurrency, 1, MAX_CONCURRENCY);
        cmd.requireBetween("--batch", batch, 1, maxBatch);
        cmd.requireBetween("--record-size", recordSize, MIN_RECORD_SIZE, MAX_RECORD_SIZE);
        if (count != null) {
            cmd.requireAtLeast("--count", count, 1);
        }
        if (duration != null && (duration.isNegative() || duration.isZero())) {
            throw cmd.badInput("--duration must be positive");
        }
    }

    /** Checks that one write of {@code batch} records fits in a request body. */
    void validateWriteSize(ServerCommand cmd) {
        if (recordsPerRequest(batch) < batch) {
            throw cmd.badInput("--batch " + batch + " of --record-size " + recordSize + " B makes requests over "
                    + (MAX_REQUEST_BYTES >> 20) + " MiB; use at most " + recordsPerRequest(batch) + " records");
        }
    }

    /** {@code wanted}, or fewer if that many records would not fit in one request body. */
    int recordsPerRequest(int wanted) {
        return (int) Math.max(1, Math.min(wanted, MAX_REQUEST_BYTES / (recordSize + RECORD_FRAMING) - 1));
    }

    long countOrDefault() {
        return count != null ? count : DEFAULT_COUNT;
    }

    /** One record's data: {@code {"p":"xxx..."}}, exactly {@link #recordSize} bytes. */
    byte[] payload() {
        return ("{\"p\":\"" + "x".repeat(recordSize - MIN_RECORD_SIZE) + "\"}").getBytes(StandardCharsets.US_ASCII);
    }

    String describe() {
        return "concurrency " + concurrency + ", batch " + batch + ", record-size " + recordSize + " B";
    }
}
