package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import io.topics.server.http.ConnectionCapsTest.Raw;
import io.topics.server.http.OverloadTest.Load;
import io.topics.server.http.OverloadTest.StallableDisk;
import io.topics.server.http.ServerFixture.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a security review of issue 6 found, each kept as a regression test: memory a client
 * could pin (a declared body, an answer it stops reading, a memory topic's queue), answers
 * that were 500s or left connections open, keys that could reach a log or a config's text,
 * metrics an allowlisted key could not see, and the port file of an empty host. Each test's
 * comment tells what went wrong before the fix.
 */
class HostileInputTest {
    @TempDir
    Path dir;
    ServerFixture srv;
    final StallableDisk disk = new StallableDisk();
    final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        disk.recover();
        for (Socket s : sockets) {
            s.close();
        }
        if (srv != null) {
            srv.close();
        }
    }

    /**
     * Finding 1 (high): Exchange.readBody allocates the whole declared Content-Length up front
     * (up to TOPICS_MAX_BODY_BYTES, 64 MiB) before a byte of the body arrived. A few hundred
     * bytes of headers pin 64 MiB of heap for the read timeout; about 1 connection per 64 MiB of
     * heap takes the process to OutOfMemoryError.
     */
    @Test
    void aDeclaredBodyIsNotAllocatedBeforeItArrives() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_READ_TIMEOUT_MS", "20000"));
        assertEquals(201, srv.json("PUT", "/v0/topics/t", "{}").status());
        long before = heapAfterGc();
        for (int i = 0; i < 6; i++) {
            Socket s = connect(srv);
            s.getOutputStream().write(("POST /v0/topics/t HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 67108864\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
        }
        Thread.sleep(1000); // the handlers are blocked reading the bodies by now
        long grown = heapAfterGc() - before;
        assertTrue(grown < 64L << 20, "6 connections that sent 1 byte of body each hold " + (grown >> 20)
                + " MiB of heap");
    }

    /**
     * Finding 2 (medium-high): a plain (non-SSE) answer has no write deadline. A client that
     * stops reading an 8 MiB diff answer keeps its handler blocked in res.send() forever: the
     * read-timeout sweep treats the connection as busy, TOPICS_SSE_STALL_MS guards only streams,
     * and the in-flight slot was already given back before the send, so neither
     * TOPICS_MAX_INFLIGHT_PER_KEY nor any timeout bounds how many such answers (each ~8-25 MiB
     * of heap) one client can pin.
     */
    @Test
    void aPlainAnswerToAClientThatStoppedReadingIsCutLikeAStalledStream() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_READ_TIMEOUT_MS", "1000", "TOPICS_SSE_STALL_MS", "1000"));
        fill(srv, "big", 10);
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", srv.server.port()));
        sockets.add(s);
        s.getOutputStream().write(ConnectionCapsTest.post("/v0/topics/big/diff",
                "{\"from_seq\":0,\"limit\":1000,\"max_batch_bytes\":8388608}", null).getBytes(StandardCharsets.US_ASCII));
        Thread.sleep(6000); // 6 read timeouts and 6 stall timeouts without reading a byte
        s.setSoTimeout(10_000);
        InputStream in = s.getInputStream();
        long length = -1;
        try {
            for (String line = Raw.line(in); !line.isEmpty(); line = Raw.line(in)) {
                if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    length = Long.parseLong(line.substring(15).trim());
                }
            }
        } catch (IOException cut) {
            return; // the server gave up on the client: what the test wants
        }
        long got = 0;
        try {
            for (int n = in.read(new byte[65536]); n >= 0 && got < length; n = in.read(new byte[65536])) {
                got += n;
            }
        } catch (IOException cut) {
            // cut: fine
        }
        assertTrue(got < length, "a client that read nothing for 6 s (read timeout and SSE stall 1 s) still got its whole "
                + length + "-byte answer: the server waited on it the whole time");
    }

    /**
     * Finding 3 (medium): the WAL queue's 64 frames "whatever their bytes" also apply to
     * {@code memory} topics, whose writers are answered at enqueue and so are not in flight.
     * One sequential client parks 64 frames (64 x up to 64 MiB per shard) while the disk is
     * behind, far past TOPICS_WAL_QUEUE_BYTES; docs/API.md says "for them the byte bound is the
     * one that holds".
     */
    @Test
    void memoryTopicWritesAreHeldToTheQueueByteBound() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_WAL_SHARDS", "1", "TOPICS_WAL_QUEUE_BYTES", "262144"), disk);
        assertEquals(201, srv.json("PUT", "/v0/topics/m", "{\"durability\":\"memory\"}").status());
        assertEquals(200, srv.json("POST", "/v0/topics/m", "{\"records\":[{\"data\":0}]}").status());
        disk.stall();
        String mib = "{\"records\":[{\"data\":\"" + "m".repeat(1_000_000) + "\"}]}";
        int ok = 0;
        for (int i = 0; i < 70; i++) {
            Reply r = srv.json("POST", "/v0/topics/m", mib);
            if (r.status() != 200) {
                assertEquals(429, r.status(), r.body());
                break;
            }
            ok++;
        }
        assertTrue(ok <= 2, ok + " one-MB writes to a memory topic were queued for a stalled disk against a 256 KiB bound"
                + " by one sequential client (acknowledged, nothing in flight)");
    }

    /**
     * Finding 5 (low-medium): bad input answered 500. A malformed Content-Type
     * (Exchange.requireJsonContentType: Helidon's BadRequestException, StringIndexOutOfBounds) and a
     * malformed chunk size (Exchange.readBody: NumberFormatException) are 500 internal, each
     * logged SEVERE with a stack trace.
     */
    @Test
    void malformedContentTypeAndChunkSizeAreClientErrors() throws Exception {
        srv = new ServerFixture(dir, Map.of());
        assertEquals(201, srv.json("PUT", "/v0/topics/t", "{}").status());
        int port = srv.server.port();
        for (String type : List.of("application/json; x", "/", "application/json; charset=\"")) {
            Raw r = Raw.send(port, "POST /v0/topics/t/diff HTTP/1.1\r\nHost: x\r\nContent-Type: " + type
                    + "\r\nContent-Length: 2\r\n\r\n{}");
            assertTrue(r.status() >= 400 && r.status() < 500, "Content-Type: " + type + " -> " + r.text());
        }
        Raw chunked = Raw.send(port, "POST /v0/topics/t/diff HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n");
        assertEquals(400, chunked.status(), chunked.text());
    }

    /**
     * Finding 6 (low-medium): per-topic metric series are cut to the first 1000 topics of the
     * whole server before the caller's allowlist filters them (ObserveService.topicSeries over
     * Engine.stats(1000)), so a prefix-restricted key whose names sort late sees none of its own.
     */
    @Test
    void perTopicMetricsShowAnAllowlistedKeyItsOwnTopics() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_API_KEYS", "root-key,mine:read:z."));
        for (int i = 0; i < 1000; i++) {
            assertEquals(201, srv.send("PUT", "/v0/topics/a." + i, null, "Authorization", "Bearer root-key").status());
        }
        assertEquals(201, srv.send("PUT", "/v0/topics/z.mine", null, "Authorization", "Bearer root-key").status());
        String metrics = srv.send("GET", "/v0/metrics", null, "Authorization", "Bearer mine").body();
        assertTrue(metrics.contains("topics_topic_head_seq{topic=\"z.mine\"}"),
                "the key sees no series of its only topic: " + metrics.lines().filter(l -> l.contains("topic_"))
                        .toList());
    }

    /**
     * Finding 7 (low): a 404/405 answered before an unread body is not closed at once, as
     * docs/API.md says ("carries Connection: close and the connection is closed once it went
     * out"): Exchange.always does not throw CloseConnectionException, so Helidon drains the body
     * at the client's pace until the read timeout.
     */
    @Test
    void aNotFoundBeforeAnUnreadBodyClosesTheConnectionAtOnce() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_READ_TIMEOUT_MS", "3000"));
        Socket s = connect(srv);
        s.getOutputStream().write(("POST /v0/nowhere HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100000\r\n\r\n{\"records\":").getBytes(StandardCharsets.US_ASCII));
        long t0 = System.nanoTime();
        s.setSoTimeout(10_000);
        byte[] all = s.getInputStream().readAllBytes();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(new String(all, StandardCharsets.UTF_8).startsWith("HTTP/1.1 404"));
        assertTrue(ms < 1000, "the 404's connection stayed open " + ms + " ms, until the read timeout");
    }

    /**
     * Finding 8 (low): a client that goes away mid-answer is logged SEVERE "internal error"
     * with a stack trace (Exchange.handler's catch-all sees Helidon's ServerConnectionException):
     * any client can flood the log at SEVERE, and real 500s drown in it.
     */
    @Test
    void aClientGoneMidAnswerIsNotAnInternalError() throws Exception {
        List<LogRecord> severe = java.util.Collections.synchronizedList(new ArrayList<>());
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
                    severe.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger exchange = Logger.getLogger(Exchange.class.getName());
        exchange.addHandler(h);
        try {
            srv = new ServerFixture(dir, Map.of());
            fill(srv, "big", 10);
            for (int i = 0; i < 3; i++) {
                Socket s = new Socket();
                s.setReceiveBufferSize(4096);
                s.connect(new InetSocketAddress("127.0.0.1", srv.server.port()));
                s.getOutputStream().write(ConnectionCapsTest.post("/v0/topics/big/diff",
                        "{\"from_seq\":0,\"limit\":1000,\"max_batch_bytes\":8388608}", null)
                        .getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(300);
                ConnectionCapsTest.vanish(s);
            }
            Thread.sleep(1000);
            assertEquals(List.of(), severe.stream().map(LogRecord::getMessage).toList(),
                    "clients that hung up were logged as internal errors");
        } finally {
            exchange.removeHandler(h);
        }
    }

    /**
     * Finding 9 (low-medium): a key in {@code ?token=} reaches the log at TOPICS_LOG=debug/trace
     * when anything else in the query string is badly percent-encoded: Helidon's
     * Http1Connection logs the RequestException, whose message quotes the raw query. SECURITY.md
     * promises keys never appear in the log "at any TOPICS_LOG level".
     */
    @Test
    void aKeyInAMalformedQueryIsNotLogged() throws Exception {
        String key = KeyLeakTest.key();
        StringBuilder logged = new StringBuilder();
        Handler h = new Handler() {
            @Override
            public synchronized void publish(LogRecord r) {
                logged.append(new java.util.logging.SimpleFormatter().formatMessage(r)).append('\n');
                if (r.getThrown() != null) {
                    logged.append(r.getThrown()).append('\n');
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        Level level = root.getLevel();
        root.addHandler(h);
        root.setLevel(Level.FINE); // TOPICS_LOG=debug
        try {
            srv = new ServerFixture(dir, Map.of("TOPICS_API_KEYS", key));
            // an EventSource URL built by hand, with a cursor that was not encoded right
            Raw r = Raw.send(srv.server.port(), "GET /v0/watch/wid_x?token=" + key + "&cursor=50%ZZ HTTP/1.1\r\n"
                    + "Host: x\r\n\r\n");
            assertEquals(400, r.status(), r.text());
        } finally {
            root.setLevel(level);
            root.removeHandler(h);
        }
        String text;
        synchronized (h) {
            text = logged.toString();
        }
        assertTrue(!text.contains(key), "the key is in the log: " + text.lines().filter(l -> l.contains(key)).toList());
    }

    /**
     * Finding 10 (low): the plaintext keys outlive start-up in the ServerConfig singleton
     * ({@code settings}, kept for the process's life by the Dagger graph), and the record's
     * generated toString() prints them: one log line of the config away from a leak.
     * SECURITY.md: "The server drops its own copies after hashing them".
     */
    @Test
    void theServerConfigKeepsNoPlaintextKey() {
        io.topics.server.wiring.ServerConfig config = io.topics.server.wiring.ServerConfig.from(
                Map.of("TOPICS_API_KEYS", "s3cret-key:read"));
        assertTrue(!config.toString().contains("s3cret-key"), config.toString());
    }

    /**
     * Finding 11 (low): TOPICS_HOST set but empty binds loopback (InetAddress.getByName("")) and
     * writes the port file as ":port", not the "&lt;host&gt;:&lt;port&gt;" of the bound socket (spec §16.1).
     */
    @Test
    void anEmptyHostStillWritesHostAndPortToThePortFile() throws Exception {
        Path portFile = dir.resolve("port");
        srv = new ServerFixture(dir.resolve("data"), Map.of("TOPICS_HOST", "", "TOPICS_PORT_FILE", portFile.toString()));
        String text = java.nio.file.Files.readString(portFile).strip();
        assertTrue(text.matches("[^:]+:\\d+"), "port file: \"" + text + "\"");
    }

    /** About {@code mib} MiB of records in topic {@code name}. */
    static void fill(ServerFixture srv, String name, int mib) {
        String rec = "{\"data\":\"" + "x".repeat(100_000) + "\"}";
        String body = "{\"records\":[" + String.join(",", java.util.Collections.nCopies(10, rec)) + "]}";
        for (int i = 0; i < mib; i++) {
            int status = srv.json("POST", "/v0/topics/" + name, body).status();
            assertTrue(status == 200 || status == 201, "fill: " + status);
        }
    }

    Socket connect(ServerFixture srv) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", srv.server.port()));
        sockets.add(s);
        return s;
    }

    static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
