package io.topics.cli.command;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import io.topics.cli.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code topics read}: a diff loop (spec §6). The cursor is the seq, so the loop keeps no
 * state but {@code next_from_seq}; {@code caught_up}, not an empty page, means "done for now".
 */
@Command(name = "read", description = {
        "Print a topic's records, one JSON object per line ($seq, $ts, $tag, data ...), as they arrive.",
        "Stops when caught up with the head, unless --follow. A tombstone (records lost to a cap or TTL) is reported on stderr."})
final class ReadCommand extends ServerCommand {
    private static final int MAX_PAGE = 1000; // the server clamps diff limits to this
    private static final int MAX_WAIT_MS = 30_000;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic name.")
    String topic;

    @Option(names = "--from-seq", paramLabel = "SEQ", defaultValue = "0",
            description = "Start after SEQ (exclusive); 0 is the earliest record (default: ${DEFAULT-VALUE}).")
    long fromSeq;

    @Option(names = "--limit", paramLabel = "N", description = "Stop after N records in total.")
    Long limit;

    @Option(names = {"-f", "--follow"}, description = "Keep reading new records as they are written (long-poll).")
    boolean follow;

    @Option(names = "--wait-ms", paramLabel = "MS", defaultValue = "25000",
            description = "With --follow: how long each request waits for new records, 1 to " + MAX_WAIT_MS
                    + " (default: ${DEFAULT-VALUE}).")
    int waitMs;

    @Override
    int execute() throws Exception {
        String name = topicName(topic);
        requireAtLeast("--from-seq", fromSeq, 0);
        if (limit != null) {
            requireAtLeast("--limit", limit, 1);
        }
        requireBetween("--wait-ms", waitMs, 1, MAX_WAIT_MS);
        long cursor = fromSeq;
        long printed = 0;
        while (limit == null || printed < limit) {
            int ask = (int) Math.min(MAX_PAGE, limit == null ? MAX_PAGE : limit - printed);
            JsonNode answer = client().diff(name, cursor, ask, follow ? waitMs : 0);
            reportTombstone(answer.path("tombstone"));
            JsonNode records = answer.path("records");
            for (JsonNode record : records) {
                if (limit != null && printed == limit) {
                    break;
                }
                out().println(Json.compact(record));
                printed++;
            }
            out().flush();
            long next = answer.path("next_from_seq").asLong(cursor);
            boolean caughtUp = answer.path("caught_up").asBoolean(false);
            if (!caughtUp && records.isEmpty() && next == cursor && !answer.path("tombstone").isObject()) {
                throw new IOException("the server did not advance the cursor past " + cursor);
            }
            cursor = next;
            if (caughtUp && !follow) {
                break;
            }
        }
        return ExitCodes.OK;
    }

    /** A gap is never an error (spec §7): say what was lost and read on. */
    private void reportTombstone(JsonNode t) {
        if (!t.isObject()) {
            return;
        }
        err().println("tombstone: seqs " + t.path("gap_from").asLong() + ".." + t.path("gap_to").asLong()
                + " are gone (reason " + t.path("reason").asText("unknown") + ", about "
                + t.path("missed_estimate").asLong() + " records); reading on from seq "
                + t.path("earliest_seq").asLong());
        err().flush();
    }
}
