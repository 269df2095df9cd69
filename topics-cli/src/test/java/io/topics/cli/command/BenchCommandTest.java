package io.topics.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import io.topics.cli.Json;
import io.topics.cli.command.TestingTopicsServer.Reply;
import io.topics.cli.command.TestingTopicsServer.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BenchCommandTest {
    private static final Pattern TOTALS = Pattern.compile("records (\\d+)  requests (\\d+)  elapsed \\d+\\.\\d{3} s");
    private static final Pattern LATENCY = Pattern.compile(
            "latency p50 (\\d+\\.\\d{3}) ms  p99 (\\d+\\.\\d{3}) ms  p999 (\\d+\\.\\d{3}) ms  max (\\d+\\.\\d{3}) ms");

    private TestingTopicsServer server;
    private Cli cli;
    /** The fake bench topic: records appended so far, also what diffs read back. */
    private final AtomicLong head = new AtomicLong();

    @BeforeEach
    void start() throws Exception {
        server = new TestingTopicsServer();
        server.on("PUT", "/v0/topics/bench", r -> Reply.ok("{\"topic\":\"bench\",\"created\":true,\"config\":{}}"));
        server.on("GET", "/v0/topics/bench", r -> head.get() == 0
                ? Reply.error(404, "topic_not_found", "no topic")
                : Reply.ok("{\"topic\":\"bench\",\"head_seq\":" + head.get() + ",\"earliest_seq\":1,\"count\":" + head.get()
                        + ",\"config\":{\"durability\":\"memory\"}}"));
        server.on("POST", "/v0/topics/bench", r -> {
            Thread.sleep(5); // slow enough that every worker has a request in flight at once
            int n = Json.parse(r.body()).path("records").size();
            long last = head.addAndGet(n);
            return Reply.ok("{\"topic\":\"bench\",\"first_seq\":" + (last - n + 1) + ",\"last_seq\":" + last
                    + ",\"head_seq\":" + last + ",\"count\":" + n + ",\"created\":false,\"deduped\":false}");
        });
        server.on("POST", "/v0/topics/bench/diff", this::diff);
        cli = Cli.against(server);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Reply diff(Request r) throws Exception {
        JsonNode q = Json.parse(r.body());
        long from = q.path("from_seq").asLong();
        long to = Math.min(head.get(), from + q.path("limit").asLong());
        StringBuilder records = new StringBuilder();
        for (long s = from + 1; s <= to; s++) {
            records.append(s == from + 1 ? "" : ",").append("{\"$seq\":").append(s).append(",\"$ts\":1,\"data\":{\"p\":\"xx\"}}");
        }
        long next = Math.max(from, to);
        return Reply.ok("{\"topic\":\"bench\",\"records\":[" + records + "],\"next_from_seq\":" + next + ",\"head_seq\":"
                + head.get() + ",\"earliest_seq\":1,\"caught_up\":" + (next == head.get()) + ",\"tombstone\":null,\"lag\":0}");
    }

    /** p50, p99, p999 and max in ms, checked to be ordered. */
    private static double[] latency(Cli.Run run) {
        Matcher m = LATENCY.matcher(run.out());
        assertTrue(m.find(), run.out());
        double[] ms = new double[4];
        for (int i = 0; i < 4; i++) {
            ms[i] = Double.parseDouble(m.group(i + 1));
            assertTrue(i == 0 || ms[i] >= ms[i - 1], run.out());
        }
        return ms;
    }

    private static long[] totals(Cli.Run run) {
        Matcher m = TOTALS.matcher(run.out());
        assertTrue(m.find(), run.out());
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    @Test
    void benchWriteSendsExactlyCountRecordsAndReportsThroughputAndPercentiles() throws Exception {
        Cli.Run run = cli.run("bench", "write", "--count", "200", "--batch", "10", "--concurrency", "4",
                "--record-size", "40", "--durability", "memory");

        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().startsWith("bench write: topic bench, durability memory, concurrency 4, batch 10, record-size 40 B"),
                run.out());
        assertEquals(200, totals(run)[0]);
        assertEquals(20, totals(run)[1]);
        assertTrue(run.out().contains("records/s") && run.out().contains("requests/s"), run.out());
        assertTrue(latency(run)[0] >= 5.0, "every write waits 5 ms in the fake server: " + run.out());

        List<Request> puts = server.requests("PUT", "/v0/topics/bench");
        assertEquals(Json.parse("{\"durability\":\"memory\"}"), Json.parse(puts.getFirst().body()));
        assertTrue(server.requests().getFirst().method().equals("PUT"), "the class is set before any write");
        List<Request> writes = server.requests("POST", "/v0/topics/bench");
        assertEquals(20, writes.size());
        assertEquals(200, head.get());
        for (Request w : writes) {
            assertEquals("/v0/topics/bench?return_seqs=false", w.path());
            assertEquals("application/json", w.contentType());
            JsonNode records = Json.parse(w.body()).path("records");
            assertEquals(10, records.size());
            assertEquals(40, Json.compact(records.get(0).path("data")).length());
        }
        assertEquals(4, server.maxInFlight(), "four workers, four requests in flight");
        assertEquals(4, server.connections("POST", "/v0/topics/bench"), "one connection per worker, kept for the run");
    }

    @Test
    void benchWriteForADurationRunsThenStops() {
        Cli.Run run = cli.run("bench", "write", "--duration", "300ms", "--batch", "5", "--concurrency", "2");

        assertEquals(0, run.exit(), run.err());
        long[] t = totals(run);
        assertTrue(t[1] > 0, run.out());
        assertEquals(t[1] * 5, t[0], "every request of a timed run is a full batch");
        assertEquals(t[0], head.get());
        assertEquals(List.of(), server.requests("PUT", "/v0/topics/bench"), "no --durability, no PUT");
    }

    @Test
    void aRunLongerThanASecondShowsAProgressLine() {
        Cli.Run run = cli.run("bench", "write", "--duration", "1500ms", "--batch", "5", "--concurrency", "2");

        assertEquals(0, run.exit(), run.err());
        assertTrue(run.err().contains("\rwrite "), "a progress line rewritten in place: " + run.err());
        assertTrue(run.err().contains("records/s") && run.err().contains("p99"), run.err());
    }

    @Test
    void benchReadFillsTheTopicThenReadsItBack() {
        // enough requests that the first readers cannot spend the shared budget before the third starts
        Cli.Run run = cli.run("bench", "read", "--count", "6000", "--batch", "25", "--concurrency", "3");

        assertEquals(0, run.exit(), run.err());
        assertTrue(run.err().contains("bench read: writing 6000 records to bench first"), run.err());
        assertEquals(6000, head.get());
        assertTrue(run.out().startsWith("bench read: topic bench (seqs 1..6000), durability memory, concurrency 3, batch 25"),
                run.out());
        assertEquals(6000, totals(run)[0]);
        assertTrue(latency(run)[0] > 0, run.out());
        List<Request> diffs = server.requests("POST", "/v0/topics/bench/diff");
        assertEquals(totals(run)[1], diffs.size());
        assertTrue(diffs.stream().anyMatch(d -> d.body().startsWith("{\"from_seq\":4000,")),
                "the third reader starts at the third slice of the range");
        assertEquals(3, server.connections("POST", "/v0/topics/bench/diff"), "one connection per reader");
    }

    @Test
    void benchReadUsesRecordsAlreadyThere() {
        head.set(500);

        Cli.Run run = cli.run("bench", "read", "--count", "300", "--batch", "100", "--concurrency", "2");

        assertEquals(0, run.exit(), run.err());
        assertEquals(List.of(), server.requests("POST", "/v0/topics/bench"));
        assertEquals(300, totals(run)[0]);
    }

    @Test
    void aWorkerReconnectsWhenTheServerClosesItsConnection() {
        server.closeConnections();

        Cli.Run run = cli.run("bench", "write", "--count", "100", "--batch", "10", "--concurrency", "2");

        assertEquals(0, run.exit(), run.err());
        assertEquals(100, head.get());
        assertEquals(10, server.connections("POST", "/v0/topics/bench"), "a new connection for every request");
    }

    @Test
    void theFirstServerErrorStopsTheBenchWithStatus1() {
        server.on("POST", "/v0/topics/bench", Reply.error(429, "throttled", "over the cap"));

        Cli.Run run = cli.run("bench", "write", "--count", "100", "--batch", "10", "--concurrency", "2");

        assertEquals(1, run.exit());
        assertTrue(run.err().contains("error: throttled: over the cap"), run.err());
        assertEquals("", run.out());
    }

    @Test
    void badInputExits2() {
        for (String[] args : List.of(new String[] {"bench", "write", "--count", "10", "--duration", "1s"},
                new String[] {"bench", "write", "--record-size", "7"},
                new String[] {"bench", "write", "--batch", "10001"},
                new String[] {"bench", "write", "--batch", "100", "--record-size", "1048576"},
                new String[] {"bench", "read", "--batch", "1001"},
                new String[] {"bench", "write", "--concurrency", "0"},
                new String[] {"bench", "write", "--count", "0"},
                new String[] {"bench", "write", "--duration", "soon"},
                new String[] {"bench", "write", "--topic", "no spaces"},
                new String[] {"bench"})) {
            Cli.Run run = cli.run(args);
            assertEquals(2, run.exit(), String.join(" ", args) + " -> " + run.err());
            assertTrue(run.err().startsWith("error: "), run.err());
        }
        assertEquals(List.of(), server.requests());
    }
}
