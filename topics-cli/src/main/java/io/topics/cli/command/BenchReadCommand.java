package io.topics.cli.command;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import io.topics.cli.DiffPage;
import io.topics.cli.TopicsClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code topics bench read}: makes sure the topic holds {@code --count} records, then reads
 * them back with concurrent diff loops. Reader i starts at the i-th slice of the seq range and
 * wraps around at the head, so the readers spread over the range instead of all reading the
 * same records at the same time.
 */
@Command(name = "read", description = {
        "Make sure the topic holds --count records (writing the missing ones), then read them back",
        "with --concurrency diff loops of --batch records each, for --count records or for --duration.",
        "Prints a progress line to stderr every second and the summary to stdout."})
final class BenchReadCommand extends ServerCommand {
    private static final int MAX_DIFF_LIMIT = 1000; // the server clamps diff limits to this
    private static final int FILL_BATCH = 1000;

    @Mixin
    BenchOptions options;

    @Override
    int execute() throws Exception {
        options.validate(this, MAX_DIFF_LIMIT);
        long want = options.countOrDefault();
        BenchWriteCommand.configureTopic(this, options);
        JsonNode state = BenchWriteCommand.stateOrNull(this, options.topic);
        long have = state == null ? 0 : state.path("count").asLong();
        if (have < want) {
            err().println("bench read: writing " + (want - have) + " records to " + options.topic + " first");
            err().flush();
            int fillBatch = options.recordsPerRequest(FILL_BATCH);
            BenchWriteCommand.writeLoad(this, options, fillBatch, Budget.records(want - have), "fill");
            state = client().topic(options.topic);
        }
        long base = state.path("earliest_seq").asLong(1) - 1;
        long head = state.path("head_seq").asLong();
        if (head <= base) {
            throw new ExitException(ExitCodes.ERROR, "topic " + options.topic + " holds no records to read");
        }
        Budget budget = options.duration != null
                ? Budget.until(options.duration, System::nanoTime)
                : Budget.records(want);
        BenchRun.Result result = readLoad(base, head, budget);
        out().println("bench read: topic " + options.topic + " (seqs " + (base + 1) + ".." + head + "), durability "
                + state.path("config").path("durability").asText("unknown") + ", " + options.describe());
        result.report(out());
        return ExitCodes.OK;
    }

    private BenchRun.Result readLoad(long base, long head, Budget budget) throws Exception {
        TopicsClient client = client();
        List<BenchRun.Worker> workers = new ArrayList<>(options.concurrency);
        for (int i = 0; i < options.concurrency; i++) {
            long start = base + (head - base) * i / options.concurrency;
            TopicsClient.Connection connection = client.connection();
            workers.add(new BenchRun.Worker() {
                private long cursor = start;

                @Override
                public int send(int records) throws Exception {
                    DiffPage page = connection.diffPage(options.topic, cursor, records);
                    cursor = page.nextFromSeq() >= head || page.caughtUp() ? base : page.nextFromSeq();
                    return page.records();
                }

                @Override
                public void close() {
                    connection.close();
                }
            });
        }
        return BenchRun.run("read", workers, budget, options.batch, err());
    }
}
