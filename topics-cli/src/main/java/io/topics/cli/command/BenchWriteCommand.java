package io.topics.cli.command;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import io.topics.cli.ApiException;
import io.topics.cli.Json;
import io.topics.cli.TopicsClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code topics bench write}: closed-loop appends of fixed-size records. */
@Command(name = "write", description = {
        "Append --count records (or for --duration) with --concurrency connections, --batch records per request.",
        "Prints a progress line to stderr every second and the summary to stdout."})
final class BenchWriteCommand extends ServerCommand {
    @Mixin
    BenchOptions options;

    @Override
    int execute() throws Exception {
        options.validate(this, WriteCommand.MAX_BATCH);
        options.validateWriteSize(this);
        if (options.count != null && options.duration != null) {
            throw badInput("give --count or --duration, not both");
        }
        configureTopic(this, options);
        Budget budget = options.duration != null
                ? Budget.until(options.duration, System::nanoTime)
                : Budget.records(options.countOrDefault());
        BenchRun.Result result = writeLoad(this, options, options.batch, budget, "write");
        out().println("bench write: topic " + options.topic + ", durability " + durability(this, options.topic)
                + ", " + options.describe());
        result.report(out());
        return ExitCodes.OK;
    }

    /** Applies {@code --durability} before any record is written; without it the topic is left as it is. */
    static void configureTopic(ServerCommand cmd, BenchOptions options) throws Exception {
        if (options.durability != null) {
            cmd.client().putTopic(options.topic, Json.object().put("durability", options.durability));
        }
    }

    /** The class the server resolved for the topic, for the summary. */
    static String durability(ServerCommand cmd, String topic) throws Exception {
        return cmd.client().topic(topic).path("config").path("durability").asText("unknown");
    }

    /** Runs {@code options.concurrency} writers, sharing the command's client, until {@code budget} is spent. */
    static BenchRun.Result writeLoad(ServerCommand cmd, BenchOptions options, int batch, Budget budget, String label)
            throws Exception {
        byte[] payload = options.payload();
        byte[] full = writeRequest(payload, batch); // every full batch sends these same bytes
        TopicsClient client = cmd.client();
        List<BenchRun.Worker> workers = new ArrayList<>(options.concurrency);
        for (int i = 0; i < options.concurrency; i++) {
            TopicsClient.Connection connection = client.connection();
            workers.add(new BenchRun.Worker() {
                @Override
                public int send(int n) throws Exception {
                    // only the last request of a --count run can be short
                    connection.write(options.topic, n == batch ? full : writeRequest(payload, n));
                    return n;
                }

                @Override
                public void close() {
                    connection.close();
                }
            });
        }
        return BenchRun.run(label, workers, budget, batch, cmd.err());
    }

    /** {@code {"records":[{"data":P},...]}} with {@code n} copies of the payload. */
    static byte[] writeRequest(byte[] payload, int n) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(16 + n * (payload.length + 10));
        b.writeBytes("{\"records\":[".getBytes(StandardCharsets.US_ASCII));
        byte[] open = "{\"data\":".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                b.write(',');
            }
            b.writeBytes(open);
            b.writeBytes(payload);
            b.write('}');
        }
        b.writeBytes("]}".getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    /** The topic's state, or null when it does not exist yet. */
    static JsonNode stateOrNull(ServerCommand cmd, String topic) throws Exception {
        try {
            return cmd.client().topic(topic);
        } catch (ApiException e) {
            if (e.code().equals("topic_not_found")) {
                return null;
            }
            throw e;
        }
    }
}
