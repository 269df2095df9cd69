package io.topics.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

import io.topics.cli.Json;
import io.topics.cli.command.TestingTopicsServer.Reply;
import io.topics.cli.command.TestingTopicsServer.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ReadCommandTest {
    private static final String TOMBSTONE = "{\"gap_from\":1,\"gap_to\":5,\"reason\":\"cap\",\"missed_estimate\":5,"
            + "\"earliest_seq\":6,\"head_seq\":7}";

    private TestingTopicsServer server;
    private Cli cli;
    private final Deque<Reply> diffs = new ArrayDeque<>();

    @BeforeEach
    void start() throws Exception {
        server = new TestingTopicsServer();
        server.on("POST", "/v0/topics/orders/diff", r -> diffs.isEmpty()
                ? Reply.error(500, "internal", "test sent more diffs than scripted") : diffs.poll());
        cli = Cli.against(server);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** A diff answer holding records {@code from..to} (none when from > to). */
    private static Reply page(long from, long to, long next, boolean caughtUp, String tombstone) {
        StringBuilder records = new StringBuilder();
        for (long s = from; s <= to; s++) {
            records.append(s == from ? "" : ",").append("{\"$seq\":").append(s)
                    .append(",\"$ts\":1748470000123,\"$tag\":\"t\",\"data\":{\"n\":").append(s).append("}}");
        }
        return Reply.ok("{\"topic\":\"orders\",\"records\":[" + records + "],\"next_from_seq\":" + next
                + ",\"head_seq\":7,\"earliest_seq\":1,\"caught_up\":" + caughtUp + ",\"tombstone\":" + tombstone
                + ",\"lag\":" + (7 - next) + ",\"performance\":{\"server_total_ms\":0.3}}");
    }

    private List<String> sentBodies() {
        return server.requests().stream().map(Request::body).toList();
    }

    @Test
    void followsNextFromSeqUntilCaughtUpAndPrintsEachRecordAsALine() {
        diffs.add(page(1, 2, 2, false, "null"));
        diffs.add(page(3, 7, 7, true, "null"));

        Cli.Run run = cli.run("read", "orders");

        assertEquals(0, run.exit(), run.err());
        assertEquals(7, run.lines().size());
        assertEquals("{\"$seq\":1,\"$ts\":1748470000123,\"$tag\":\"t\",\"data\":{\"n\":1}}", run.lines().getFirst());
        assertEquals("{\"$seq\":7,\"$ts\":1748470000123,\"$tag\":\"t\",\"data\":{\"n\":7}}", run.lines().getLast());
        assertEquals(List.of("{\"from_seq\":0,\"limit\":1000}", "{\"from_seq\":2,\"limit\":1000}"), sentBodies());
        assertEquals("", run.err());
    }

    @Test
    void startsAfterFromSeqAndStopsAtTheLimit() {
        diffs.add(page(5, 6, 6, false, "null"));

        Cli.Run run = cli.run("read", "orders", "--from-seq", "4", "--limit", "2");

        assertEquals(0, run.exit(), run.err());
        assertEquals(2, run.lines().size());
        assertEquals(List.of("{\"from_seq\":4,\"limit\":2}"), sentBodies());
    }

    @Test
    void followReadsTheWatchStreamAndReconnectsWithTheLastEventId() throws Exception {
        server.on("POST", "/v0/watch", Reply.ok("{\"wid\":\"wid_x\",\"stream_url\":\"/v0/watch/wid_x\"}"));
        int[] streams = {0};
        server.on("GET", "/v0/watch/wid_x", r -> streams[0]++ == 0
                ? Reply.ok("retry: 2000\n\nid: eyJvcmRlcnMiOjJ9\nevent: record\ndata: {\"topic\":\"orders\",\"from_seq\":0,"
                        + "\"head_seq\":2,\"records\":[{\"$seq\":1,\"data\":1},{\"$seq\":2,\"data\":2}],\"to_seq\":2}\n\n"
                        + "id: eyJvcmRlcnMiOjJ9\nevent: caught-up\ndata: {\"topic\":\"orders\",\"head_seq\":2}\n\n: hb\n\n")
                : Reply.ok("retry: 2000\n\nid: eyJvcmRlcnMiOjl9\nevent: tombstone\ndata: {\"topic\":\"orders\",\"reason\":\"cap\","
                        + "\"gap_from\":3,\"gap_to\":8,\"missed_estimate\":6,\"earliest_seq\":9,\"head_seq\":9}\n\n"
                        + "id: eyJvcmRlcnMiOjl9\nevent: record\ndata: {\"topic\":\"orders\",\"from_seq\":8,\"head_seq\":9,"
                        + "\"records\":[{\"$seq\":9,\"data\":9}],\"to_seq\":9}\n\n"));

        Cli.Run run = cli.run("read", "orders", "--follow", "--limit", "3");

        assertEquals(0, run.exit(), run.err());
        assertEquals(List.of(1L, 2L, 9L), run.lines().stream().map(l -> {
            try {
                return Json.parse(l).path("$seq").asLong();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList());
        assertTrue(run.err().contains("seqs 3..8 are gone (reason cap"), run.err());
        assertEquals(2, streams[0], "the dropped stream was opened again");
        assertEquals(Json.parse("{\"topics\":{\"orders\":{\"from_seq\":0}}}"), Json.parse(server.requests().getFirst().body()));
    }

    @Test
    void aTombstoneIsReportedOnStderrAndTheReadGoesOn() throws Exception {
        diffs.add(page(6, 7, 7, true, TOMBSTONE));

        Cli.Run run = cli.run("read", "orders");

        assertEquals(0, run.exit(), run.err());
        assertEquals("tombstone: seqs 1..5 are gone (reason cap, about 5 records); reading on from seq 6", run.err().strip());
        assertEquals(6, Json.parse(run.lines().getFirst()).path("$seq").asLong());
        assertFalse(run.out().contains("tombstone"));
    }

    @Test
    void aMissingTopicIsAnError() {
        server.on("POST", "/v0/topics/orders/diff", Reply.error(404, "topic_not_found", "topic \\\"orders\\\" does not exist"));

        Cli.Run run = cli.run("read", "orders");

        assertEquals(1, run.exit());
        assertEquals("error: topic_not_found: topic \"orders\" does not exist", run.err().strip());
    }

    @Test
    void aCursorThatDoesNotMoveIsAnErrorNotALoop() {
        diffs.add(page(1, 0, 3, false, "null"));
        diffs.add(page(1, 0, 3, false, "null"));

        Cli.Run run = cli.run("read", "orders", "--from-seq", "3");

        assertEquals(1, run.exit());
        assertTrue(run.err().contains("did not advance the cursor past 3"), run.err());
    }

    @Test
    void badInputExits2() {
        for (String[] args : List.of(new String[] {"read", "orders", "--from-seq", "-1"},
                new String[] {"read", "orders", "--limit", "0"},
                new String[] {"read", "orders", "--wait-ms", "30001"},
                new String[] {"read", "orders", "--from-seq", "x"},
                new String[] {"read"})) {
            Cli.Run run = cli.run(args);
            assertEquals(2, run.exit(), String.join(" ", args));
            assertTrue(run.err().startsWith("error: "), run.err());
        }
        assertEquals(List.of(), server.requests());
    }
}
