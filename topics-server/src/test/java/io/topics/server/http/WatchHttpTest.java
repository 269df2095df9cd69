package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.topics.server.http.ServerFixture.Reply;
import io.topics.server.watch.WatchCursor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watch over HTTP (spec §11): sessions, the SSE frames, push on append, resume, takeover. */
class WatchHttpTest {
    @TempDir
    Path dir;
    ServerFixture srv;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final List<Stream<String>> open = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        srv = new ServerFixture(dir, Map.of());
        srv.json("POST", "/v0/topics/a", "{\"records\":[{\"data\":1},{\"data\":2,\"tag\":\"t\"},{\"data\":3}]}");
        srv.json("PUT", "/v0/topics/b", "{}");
    }

    @AfterEach
    void stop() throws Exception {
        open.forEach(Stream::close);
        srv.close();
    }

    /** An SSE stream's frames (blank-line separated), as they arrive. */
    BlockingQueue<String> stream(String wid, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(srv.base + "/v0/watch/" + wid));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<Stream<String>> r = http.send(b.build(), HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, r.statusCode());
        assertEquals("text/event-stream; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
        assertEquals("no-store", r.headers().firstValue("Cache-Control").orElse(""));
        open.add(r.body());
        BlockingQueue<String> frames = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            StringBuilder frame = new StringBuilder();
            try {
                r.body().forEach(line -> {
                    if (line.isEmpty()) {
                        frames.add(frame.toString());
                        frame.setLength(0);
                    } else {
                        frame.append(frame.length() == 0 ? "" : "\n").append(line);
                    }
                });
            } catch (RuntimeException closed) {
                // the test closed the stream
            }
            frames.add("<end>");
        });
        return frames;
    }

    static String next(BlockingQueue<String> frames) throws InterruptedException {
        String f = frames.poll(5, TimeUnit.SECONDS);
        assertNotNull(f, "no frame within 5 s");
        return f;
    }

    static String id(Object... topicThenSeq) {
        SortedMap<String, Long> m = new TreeMap<>();
        for (int i = 0; i < topicThenSeq.length; i += 2) {
            m.put((String) topicThenSeq[i], ((Number) topicThenSeq[i + 1]).longValue());
        }
        return WatchCursor.encode(m);
    }

    String create(String body) {
        Reply r = srv.json("POST", "/v0/watch", body);
        assertEquals(200, r.status(), r.body());
        String wid = (String) r.json().get("wid");
        assertTrue(wid.matches("wid_[A-Za-z0-9_-]{22}"), wid);
        assertEquals("/v0/watch/" + wid, r.json().get("stream_url"));
        return wid;
    }

    @Test
    void aStreamSendsTheBacklogThenCaughtUpThenPushesAppends() throws Exception {
        String wid = create("{\"topics\":{\"a\":{\"from_seq\":0},\"b\":{\"tail\":true}}}");
        BlockingQueue<String> frames = stream(wid);
        assertEquals("retry: 2000", next(frames));
        String records = next(frames);
        assertTrue(records.startsWith("id: " + id("a", 3, "b", 0) + "\nevent: record\ndata: {\"topic\":\"a\",\"from_seq\":0,"
                + "\"head_seq\":3,\"records\":[{\"$seq\":1,"), records);
        assertTrue(records.contains("\"$tag\":\"t\"") && records.endsWith("\"to_seq\":3}"), records);
        assertEquals("id: " + id("a", 3, "b", 0) + "\nevent: caught-up\ndata: {\"topic\":\"a\",\"head_seq\":3}", next(frames));
        assertEquals("id: " + id("a", 3, "b", 0) + "\nevent: caught-up\ndata: {\"topic\":\"b\",\"head_seq\":0}", next(frames));

        long t0 = System.nanoTime();
        srv.json("POST", "/v0/topics/b", "{\"records\":[{\"data\":{\"x\":1}}]}");
        String pushed = next(frames);
        assertTrue(pushed.startsWith("id: " + id("a", 3, "b", 1) + "\nevent: record\ndata: {\"topic\":\"b\",\"from_seq\":0"),
                pushed);
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "pushed on append, not polled");
        srv.json("POST", "/v0/topics/b", "{\"records\":[{\"data\":{\"x\":2}}]}");
        assertTrue(next(frames).startsWith("id: " + id("a", 3, "b", 2) + "\nevent: record\n"),
                "a live record keeps the stream live: no caught-up between live records");
    }

    @Test
    void caughtUpComesAgainOnlyAfterABacklogWasDrained() throws Exception {
        String wid = create("{\"topics\":{\"b\":{\"tail\":true}},\"limit\":2}");
        BlockingQueue<String> frames = stream(wid);
        next(frames);
        assertTrue(next(frames).contains("event: caught-up"));
        srv.json("POST", "/v0/topics/b", "{\"records\":[{\"data\":1},{\"data\":2},{\"data\":3}]}");
        assertTrue(next(frames).contains("\"to_seq\":2}"), "limit 2: the stream is behind");
        assertTrue(next(frames).contains("\"to_seq\":3}"));
        assertEquals("id: " + id("b", 3) + "\nevent: caught-up\ndata: {\"topic\":\"b\",\"head_seq\":3}", next(frames),
                "the backlog is drained: live again");
        srv.json("POST", "/v0/topics/b", "{\"records\":[{\"data\":4}]}");
        assertTrue(next(frames).contains("\"to_seq\":4}"));
        srv.json("POST", "/v0/topics/b", "{\"records\":[{\"data\":5}]}");
        assertTrue(next(frames).contains("\"to_seq\":5}"), "no caught-up after a live record");
    }

    @Test
    void aReconnectResumesFromTheSessionAndLastEventIdOnlyRewinds() throws Exception {
        String wid = create("{\"topics\":{\"a\":{}}}");
        BlockingQueue<String> first = stream(wid);
        next(first);
        assertTrue(next(first).contains("\"to_seq\":3"));
        next(first); // caught-up
        BlockingQueue<String> second = stream(wid, "Last-Event-ID", id("a", 1));
        assertEquals("<end>", next(first), "the newest stream takes the session over");
        next(second);
        String again = next(second);
        assertTrue(again.contains("\"from_seq\":1") && again.contains("{\"$seq\":2,") && again.contains("\"to_seq\":3"),
                again);
        next(second);
        BlockingQueue<String> third = stream(wid, "Last-Event-ID", id("a", 99));
        next(third);
        assertEquals("id: " + id("a", 3) + "\nevent: caught-up\ndata: {\"topic\":\"a\",\"head_seq\":3}", next(third),
                "a Last-Event-ID above the session never advances it");
    }

    @Test
    void optionsShapeTheFrames() throws Exception {
        srv.json("POST", "/v0/topics/a", "{\"records\":[{\"data\":4,\"node\":\"web-1\",\"meta\":{\"m\":1}}]}");
        String wid = create("{\"topics\":{\"a\":{\"from_seq\":1}},\"limit\":1,\"include_data\":false,"
                + "\"include_tags\":false,\"include_meta\":false,\"node\":\"web-1\"}");
        BlockingQueue<String> frames = stream(wid);
        next(frames);
        String one = next(frames);
        assertTrue(one.endsWith("\"records\":[{\"$seq\":2,\"$ts\":" + one.split("\"\\$ts\":")[1].split("}")[0]
                + "}],\"to_seq\":2}"), "one record, no data, no tag: " + one);
        assertTrue(next(frames).contains("\"records\":[{\"$seq\":3,"));
        assertEquals("id: " + id("a", 4) + "\nevent: caught-up\ndata: {\"topic\":\"a\",\"head_seq\":4}", next(frames),
                "its own node's record is skipped silently, and the cursor moves past it");
    }

    @Test
    void aDeletedTopicEndsItsPartAndTheStreamEndsWithTheLast() throws Exception {
        String wid = create("{\"topics\":{\"a\":{\"tail\":true},\"b\":{\"tail\":true}}}");
        BlockingQueue<String> frames = stream(wid);
        next(frames);
        next(frames);
        next(frames);
        srv.json("DELETE", "/v0/topics/a", null);
        assertEquals("id: " + id("b", 0) + "\nevent: topic-deleted\ndata: {\"topic\":\"a\",\"head_seq\":0,"
                + "\"reason\":\"deleted\"}", next(frames));
        srv.json("DELETE", "/v0/topics/b", null);
        assertTrue(next(frames).contains("event: topic-deleted"));
        assertEquals("<end>", next(frames));
        assertEquals(404, srv.send("GET", "/v0/watch/" + wid, null).status(), "nothing left to stream: no reconnect loop");
    }

    @Test
    void aCursorFromTheFutureGetsARecreatedTombstoneAndTheRecordsAfterIt() throws Exception {
        String wid = create("{\"topics\":{\"a\":{\"from_seq\":100}},\"limit\":2}");
        BlockingQueue<String> frames = stream(wid);
        next(frames);
        String tomb = next(frames);
        assertTrue(tomb.contains("event: tombstone") && tomb.contains("\"reason\":\"recreated\"")
                && tomb.contains("\"missed_estimate\":3"), tomb);
        String first = next(frames);
        assertTrue(first.contains("\"from_seq\":0,") && first.contains("\"to_seq\":2}"), first);
        assertTrue(first.startsWith("id: " + id("a", 2)), first);
        String second = next(frames);
        assertTrue(second.startsWith("id: " + id("a", 3)) && second.contains("\"from_seq\":2,"), second);
    }

    @Test
    void aShutdownTellsOpenStreamsAndDoesNotWaitForThem() throws Exception {
        String wid = create("{\"topics\":{\"a\":{\"tail\":true}},\"heartbeat_ms\":1000}");
        BlockingQueue<String> frames = stream(wid);
        next(frames);
        next(frames);
        assertEquals(": hb", next(frames), "a heartbeat after heartbeat_ms of quiet");
        long t0 = System.nanoTime();
        srv.close();
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "the stop did not wait for the stream");
        assertEquals("id: " + id("a", 3) + "\nevent: error\ndata: {\"code\":503,\"error\":\"shutting_down\"}",
                next(frames));
        assertEquals("<end>", next(frames));
        srv = new ServerFixture(dir, Map.of()); // for stop()
    }

    @Test
    void watchersAtOneCursorShareABatchButNeverOneADeleteMadeStale() throws Exception {
        srv.json("POST", "/v0/topics/a", "{\"records\":[{\"data\":4,\"tag\":\"x\"}]}");
        String body = "{\"topics\":{\"a\":{\"from_seq\":3}}}";
        BlockingQueue<String> first = stream(create(body));
        BlockingQueue<String> second = stream(create(body));
        next(first);
        next(second);
        String one = next(first);
        assertEquals(one, next(second), "the same question at the same version: the same frame");
        assertTrue(one.contains("{\"$seq\":4,"), one);
        srv.json("POST", "/v0/topics/a/delete", "{\"match\":\"x\"}");
        BlockingQueue<String> third = stream(create(body));
        next(third);
        String after = next(third);
        assertTrue(after.contains("event: caught-up") && !after.contains("$seq"), "the deleted record is never served: "
                + after);
    }

    /** The {@code topics_sse_connections} gauge. */
    int openStreams() {
        String text = srv.send("GET", "/v0/metrics", null).body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^topics_sse_connections (\\d+)$").matcher(text);
        assertTrue(m.find(), text);
        return Integer.parseInt(m.group(1));
    }

    @Test
    void aClientThatStopsReadingIsCutAfterTheStallDeadlineAndItsSessionResumes() throws Exception {
        srv.close();
        srv = new ServerFixture(dir.resolve("stall"), Map.of("TOPICS_SSE_STALL_MS", "500"));
        srv.json("PUT", "/v0/topics/big", "{}");
        String wid = create("{\"topics\":{\"big\":{}}}");
        try (java.net.Socket silent = silentStream(wid)) {
            awaitTrue(() -> openStreams() == 1, "the silent stream opened");
            fill("big");
            awaitTrue(() -> openStreams() == 0, "the stalled stream was cut");
        }
        assertEquals(200, srv.json("POST", "/v0/topics/big", "{\"records\":[{\"data\":\"last\"}]}").status());
        BlockingQueue<String> again = stream(wid); // the session survived, at what was delivered
        assertEquals("retry: 2000", next(again));
        String first = next(again);
        assertTrue(first.contains("event: record") && !first.contains("\"from_seq\":0,"), "resumed past what "
                + "reached the socket, not from the start: " + first.substring(0, Math.min(200, first.length())));
        String f;
        do {
            f = next(again);
        } while (!f.contains("event: caught-up"));
        assertTrue(f.endsWith("\"head_seq\":401}"), f);
    }

    static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < until, what + ": not within 15 s");
            Thread.sleep(20);
        }
    }

    /** The first frame after {@code retry:} of a fresh session on {@code topic} from 0. */
    String firstFrameFromZero(String topic) throws Exception {
        BlockingQueue<String> frames = stream(create("{\"topics\":{\"" + topic + "\":{\"from_seq\":0}}}"));
        assertEquals("retry: 2000", next(frames));
        return next(frames);
    }

    @Test
    void aRecreatedTopicNeverServesTheOldIncarnationsRecords() throws Exception {
        srv.json("PUT", "/v0/topics/r", "{}");
        srv.json("POST", "/v0/topics/r", "{\"records\":[{\"data\":\"OLD-secret\"}]}");
        assertTrue(firstFrameFromZero("r").contains("OLD-secret")); // read, and shared
        assertEquals(200, srv.json("DELETE", "/v0/topics/r", null).status());
        srv.json("PUT", "/v0/topics/r", "{}"); // made the same way: the same history of changes
        srv.json("POST", "/v0/topics/r", "{\"records\":[{\"data\":\"new\"}]}");
        String after = firstFrameFromZero("r");
        assertTrue(after.contains("\"new\"") && !after.contains("OLD-secret"), after);
    }

    @Test
    void aSharedBatchNeverDeliversRecordsTheTtlHasExpired() throws Exception {
        srv.json("PUT", "/v0/topics/e", "{\"ttl_ms\":1000}");
        srv.json("POST", "/v0/topics/e", "{\"records\":[{\"data\":\"short-lived\"}]}");
        assertTrue(firstFrameFromZero("e").contains("short-lived")); // read, and shared
        String wid = create("{\"topics\":{\"e\":{\"from_seq\":0}}}");
        Thread.sleep(1_500); // past its TTL, with no write or read since
        BlockingQueue<String> late = stream(wid);
        assertEquals("retry: 2000", next(late));
        String f = next(late);
        assertTrue(f.contains("event: tombstone") && f.contains("\"reason\":\"from_seq_too_old\"")
                && !f.contains("short-lived"), f);
    }

    @Test
    void aShutdownDoesNotWaitForAStalledWrite() throws Exception {
        srv.json("PUT", "/v0/topics/big", "{}");
        String wid = create("{\"topics\":{\"big\":{}}}");
        try (java.net.Socket silent = silentStream(wid)) {
            fill("big");
            awaitTrue(() -> openStreams() == 1, "the silent stream is open");
            long t0 = System.nanoTime();
            srv.close();
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "the stop waited for a stalled write");
            srv = new ServerFixture(dir.resolve("again"), Map.of()); // for stop()
        }
    }

    /** A stream whose client never reads (and has a small receive buffer). */
    java.net.Socket silentStream(String wid) throws java.io.IOException {
        java.net.Socket silent = new java.net.Socket();
        silent.setReceiveBufferSize(4096);
        silent.connect(new java.net.InetSocketAddress("127.0.0.1", srv.server.port()));
        silent.getOutputStream().write(("GET /v0/watch/" + wid + " HTTP/1.1\r\nHost: x\r\n\r\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return silent;
    }

    /** 24 MB of records: more than a silent client's socket buffers hold. */
    void fill(String topic) {
        String record = "{\"data\":\"" + "x".repeat(60_000) + "\"}";
        String body = "{\"records\":[" + String.join(",", java.util.Collections.nCopies(50, record)) + "]}";
        for (int i = 0; i < 8; i++) {
            assertEquals(200, srv.json("POST", "/v0/topics/" + topic, body).status());
        }
    }

    @Test
    void badRequestsGetTheirErrors() throws Exception {
        assertEquals("topic_not_found", srv.json("POST", "/v0/watch", "{\"topics\":{\"nope\":{}}}").errorCode());
        assertEquals(200, srv.json("POST", "/v0/watch?lenient=true", "{\"topics\":{\"nope\":{},\"a\":{}}}").status());
        assertEquals(400, srv.json("POST", "/v0/watch", "{\"topics\":{}}").status());
        assertEquals(400, srv.json("POST", "/v0/watch", "{\"topics\":{\"a\":{}},\"consistency\":\"now\"}").status());
        assertEquals(400, srv.json("POST", "/v0/watch", "{\"topics\":{\"a\":{\"from_seq\":-1}}}").status());
        StringBuilder many = new StringBuilder("{\"topics\":{");
        for (int i = 0; i <= 256; i++) {
            many.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":{}");
        }
        assertEquals(400, srv.json("POST", "/v0/watch", many.append("}}").toString()).status());
        String wid = create("{\"topics\":{\"a\":{}}}");
        assertEquals(406, srv.send("GET", "/v0/watch/" + wid, null, "Accept", "application/json").status());
        assertEquals(404, srv.send("GET", "/v0/watch/wid_AAAAAAAAAAAAAAAAAAAAAA", null).status());
        assertEquals(405, srv.send("PUT", "/v0/watch/" + wid, "{}", "Content-Type", "application/json").status());
    }
}
