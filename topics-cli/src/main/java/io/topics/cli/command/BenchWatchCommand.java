package io.topics.cli.command;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.topics.cli.Json;
import io.topics.cli.TopicsClient;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code topics bench watch}: write-to-deliver latency of the watch stream. Opens
 * {@code --watchers} sessions that each watch all {@code --topics} topics from their tails,
 * then writes {@code --count} single records, round-robin over the topics, each carrying the
 * time it was sent; every watcher records how long each record took to reach it.
 */
@Command(name = "watch", description = {
        "Write-to-deliver latency of watch streams: --watchers sessions on --topics topics, then --count",
        "single-record writes --interval-ms apart. Prints progress to stderr and percentiles to stdout."})
final class BenchWatchCommand extends ServerCommand {
    @Option(names = "--topic", paramLabel = "PREFIX", defaultValue = "bench-watch",
            description = "Topic name, or the prefix of --topics names (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--topics", paramLabel = "N", defaultValue = "1", description = "Topics every watcher watches (1..256).")
    int topics;

    @Option(names = "--watchers", paramLabel = "N", defaultValue = "1", description = "Watch sessions, each with its stream.")
    int watchers;

    @Option(names = "--count", paramLabel = "N", defaultValue = "2000", description = "Records to write.")
    int count;

    @Option(names = "--interval-ms", paramLabel = "MS", defaultValue = "5", description = "Pause between writes.")
    int intervalMs;

    @Override
    int execute() throws Exception {
        requireBetween("--topics", topics, 1, 256);
        requireBetween("--watchers", watchers, 1, 100_000);
        requireAtLeast("--count", count, 1);
        requireBetween("--interval-ms", intervalMs, 0, 60_000);
        List<String> names = new ArrayList<>();
        ObjectNode session = Json.object();
        ObjectNode watched = session.putObject("topics");
        for (int i = 0; i < topics; i++) {
            String name = topicName(topics == 1 ? topic : topic + "-" + i);
            client().putTopic(name, Json.object());
            names.add(name);
            watched.putObject(name).put("tail", true);
        }
        Recorder latency = new Recorder(3);
        LongAdder delivered = new LongAdder();
        CountDownLatch ready = new CountDownLatch(watchers);
        CountDownLatch done = new CountDownLatch(watchers);
        TopicsClient client = client();
        List<String> wids = new ArrayList<>();
        for (int w = 0; w < watchers; w++) {
            wids.add(client.watch(session));
        }
        int[] caughtUp = new int[watchers];
        int[] seen = new int[watchers];
        StreamFanIn.Sink sink = new StreamFanIn.Sink() {
            @Override
            public void caughtUp(int stream) {
                if (++caughtUp[stream] == topics) {
                    ready.countDown();
                }
            }

            @Override
            public void record(int stream, long sentNanos, long nowNanos) {
                latency.recordValue(Math.max(0, nowNanos - sentNanos) / 1000);
                delivered.increment();
                if (++seen[stream] == count) {
                    done.countDown();
                }
            }
        };
        boolean all;
        try (StreamFanIn streams = new StreamFanIn(client.base(), wids, client.authorization())) {
            Thread reader = Thread.ofPlatform().name("bench-watch-reader").start(() -> {
                try {
                    streams.run(sink);
                } catch (java.io.IOException e) {
                    err().println("bench watch: reading the streams failed: " + e);
                }
            });
            if (!ready.await(60, TimeUnit.SECONDS)) {
                throw new ExitException(ExitCodes.ERROR, "the watch streams did not all open within 60 s");
            }
            err().println("bench watch: " + watchers + " streams open; writing " + count + " records");
            err().flush();
            for (int i = 0; i < count; i++) {
                String body = "{\"records\":[{\"data\":{\"t\":" + System.nanoTime() + "}}]}";
                client.write(names.get(i % names.size()), body.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                if (intervalMs > 0) {
                    Thread.sleep(intervalMs);
                }
            }
            all = done.await(60, TimeUnit.SECONDS);
            reader.interrupt();
            reader.join(5_000);
        }
        Histogram h = latency.getIntervalHistogram();
        out().println(String.format(Locale.ROOT, "bench watch: %d watchers x %d topics, %d records, %d deliveries%s",
                watchers, topics, count, delivered.sum(), all ? "" : " (not all arrived within 60 s)"));
        out().println(String.format(Locale.ROOT, "write-to-deliver p50 %.3f ms  p99 %.3f ms  p999 %.3f ms  max %.3f ms",
                h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0));
        return all ? ExitCodes.OK : ExitCodes.ERROR;
    }
}
