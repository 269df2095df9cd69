package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.topics.server.http.ConnectionCapsTest.Raw;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow and hostile clients (reliability: "Hostile input and load"): thousands of connections
 * that send nothing or half a request, a body trickled in a few bytes a second, a header flood.
 * None of them holds up anyone else, each is cut once {@code TOPICS_READ_TIMEOUT_MS} passed,
 * and a watch stream, whose client never sends a byte, outlives that timeout.
 */
class SlowClientsTest {
    static final long TIMEOUT_MS = 1500;
    static final int IDLE = 2000;

    @TempDir
    Path dir;
    ServerFixture srv;
    final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (srv != null) {
            srv.close();
        }
    }

    void start() throws IOException {
        srv = new ServerFixture(dir, Map.of("TOPICS_READ_TIMEOUT_MS", Long.toString(TIMEOUT_MS)));
        srv.json("PUT", "/v0/topics/t", "{}");
    }

    @Test
    void idleConnectionsAndATricklerHoldUpNobodyAndAreCutAfterTheTimeout() throws Exception {
        start();
        long t0 = System.nanoTime();
        for (int i = 0; i < IDLE; i++) {
            Socket s = connect();
            if (i % 2 == 1) { // half of them stop in the middle of their headers
                s.getOutputStream().write("POST /v0/topics/t HTTP/1.1\r\nHost: x\r\nContent-Le"
                        .getBytes(StandardCharsets.US_ASCII));
            }
        }
        long connected = System.nanoTime();
        CompletableFuture<Trickled> trickler = CompletableFuture.supplyAsync(this::trickle);

        // others are served at once, all the while
        long worstMs = 0;
        int writes = 0;
        while (System.nanoTime() - connected < TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS + 500)) {
            long t = System.nanoTime();
            assertEquals(200, srv.json("POST", "/v0/topics/t", "{\"records\":[{\"data\":" + writes + "}]}").status());
            assertEquals(200, srv.json("POST", "/v0/topics/t/diff", "{\"from_seq\":" + writes + "}").status());
            writes++;
            worstMs = Math.max(worstMs, (System.nanoTime() - t) / 1_000_000);
            Thread.sleep(50);
        }
        assertTrue(worstMs < 1000, "a write and a read took " + worstMs + " ms next to " + IDLE + " idle connections");

        Trickled cut = trickler.get(30, TimeUnit.SECONDS);
        assertTrue(cut.answer().startsWith("HTTP/1.1 400"), cut.answer());
        assertTrue(cut.answer().contains("\"reason\":\"body_timeout\""), cut.answer());
        assertTrue(cut.answerMs() >= TIMEOUT_MS && cut.answerMs() < TIMEOUT_MS + 2000,
                "the trickler was answered " + cut.answerMs() + " ms after it began, having sent " + cut.sent() + " bytes");
        assertTrue(cut.closedMs() - cut.answerMs() < 1000, "and its connection closed " + (cut.closedMs() - cut.answerMs())
                + " ms later, though it went on sending");

        for (Socket s : sockets) { // by now every idle connection was closed by the server
            s.setSoTimeout(3000);
            assertTrue(closedByServer(s.getInputStream()), "an idle connection is still open");
        }
        long closedMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(closedMs < TIMEOUT_MS + 5000, "the idle connections took " + closedMs + " ms to go");
        assertEquals(writes, ((Number) srv.send("GET", "/v0/topics/t", null).json().get("head_seq")).intValue());
    }

    @Test
    void aWatchStreamWhoseClientSendsNothingOutlivesTheReadTimeout() throws Exception {
        start();
        String wid = ConnectionCapsTest.watch(srv.server.port(), null);
        Socket stream = connect();
        stream.getOutputStream().write(ConnectionCapsTest.get("/v0/watch/" + wid, null)
                .getBytes(StandardCharsets.US_ASCII));
        stream.setSoTimeout(10_000);
        InputStream in = stream.getInputStream();
        assertEquals("HTTP/1.1 200 OK", Raw.line(in));
        Thread.sleep(3 * TIMEOUT_MS); // heartbeats only, and not a byte from the client
        assertEquals(200, srv.json("POST", "/v0/topics/t", "{\"records\":[{\"data\":\"still here\"}]}").status());
        StringBuilder seen = new StringBuilder();
        while (seen.indexOf("still here") < 0) {
            int c = in.read();
            assertTrue(c >= 0, "the stream was closed: " + seen);
            seen.append((char) c);
        }
        assertTrue(seen.indexOf(": hb") > 0, "heartbeats kept it company: " + seen);
    }

    @Test
    void aConnectionThatOnlyGetsNotFoundIsNotIdle() throws Exception {
        start();
        Socket s = connect();
        s.setSoTimeout(5000);
        InputStream in = s.getInputStream();
        for (int i = 0; i < 6; i++) { // 3 s of requests, twice the read timeout
            s.getOutputStream().write("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            StringBuilder answer = new StringBuilder();
            while (!answer.toString().endsWith("}}")) {
                int c = in.read();
                assertTrue(c >= 0, "closed after " + i + " answers: " + answer);
                answer.append((char) c);
            }
            assertTrue(answer.toString().startsWith("HTTP/1.1 404"), answer.toString());
            Thread.sleep(TIMEOUT_MS / 3);
        }
    }

    @Test
    void headerFloodsAndBodiesLeftUnreadCloseTheConnection() throws Exception {
        start();
        Socket flood = connect(); // Helidon's 16 KiB header block limit
        flood.getOutputStream().write(("GET /v0/topics HTTP/1.1\r\nHost: x\r\nX-Flood: " + "f".repeat(20_000)
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        String answer = readAll(flood);
        assertTrue(answer.matches("(?s)HTTP/1.1 4\\d\\d .*\"code\":\"invalid_request\".*"), answer);

        // a declared body over the limit is refused before a byte of it is read, and not drained after
        Socket huge = connect();
        huge.getOutputStream().write(("POST /v0/topics/t HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 1000000000\r\n\r\n{\"records\":").getBytes(StandardCharsets.US_ASCII));
        long hugeAt = System.nanoTime();
        String refused = readAll(huge); // the server closes: readAll returns
        assertTrue(refused.startsWith("HTTP/1.1 413"), refused);
        assertTrue(System.nanoTime() - hugeAt < TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS), "closed at once, not drained");
        assertTrue(refused.contains("Connection: close"), refused);

        // a body whose bytes stop coming: the socket's read timeout
        Socket stalled = connect();
        stalled.getOutputStream().write(("POST /v0/topics/t HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100\r\n\r\n{\"records\":").getBytes(StandardCharsets.US_ASCII));
        long stalledAt = System.nanoTime();
        String timedOut = readAll(stalled);
        long stalledMs = (System.nanoTime() - stalledAt) / 1_000_000;
        assertTrue(timedOut.startsWith("HTTP/1.1 400") && timedOut.contains("body_timeout"), timedOut);
        assertTrue(stalledMs >= TIMEOUT_MS && stalledMs < 2 * TIMEOUT_MS, "a stalled body was cut after " + stalledMs);

        // requests that read their bodies whole keep the connection for the next one
        Socket keep = connect();
        String write = ConnectionCapsTest.post("/v0/topics/t", "{\"records\":[{\"data\":1}]}", null);
        keep.getOutputStream().write((write + write).getBytes(StandardCharsets.US_ASCII));
        keep.setSoTimeout(5000);
        InputStream in = keep.getInputStream();
        int answered = 0;
        StringBuilder text = new StringBuilder();
        while (answered < 2) {
            int c = in.read();
            assertTrue(c >= 0, "closed after " + answered + " answers: " + text);
            text.append((char) c);
            if (text.toString().endsWith("HTTP/1.1 200 OK")) {
                answered++;
            }
        }
    }

    /**
     * What happened to a client that sends its body a few bytes at a time: the answer, when it
     * came and when the connection closed (ms after the client began), and the bytes it sent.
     */
    record Trickled(String answer, long answerMs, long closedMs, int sent) {
    }

    /** A write with a 1000-byte body, 4 bytes every 250 ms, sent on and on until the server closes. */
    private Trickled trickle() {
        byte[] body = ("{\"records\":[{\"data\":\"" + "x".repeat(973) + "\"}]}").getBytes(StandardCharsets.US_ASCII);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", srv.server.port()));
            long start = System.nanoTime();
            StringBuilder answer = new StringBuilder();
            long[] answerAt = {-1};
            CompletableFuture<Long> closed = CompletableFuture.supplyAsync(() -> {
                try {
                    InputStream in = s.getInputStream();
                    for (int c = in.read(); c >= 0; c = in.read()) {
                        if (answerAt[0] < 0) {
                            answerAt[0] = System.nanoTime();
                        }
                        answer.append((char) c);
                    }
                } catch (IOException reset) {
                    // closed all the same
                }
                return System.nanoTime();
            });
            OutputStream out = s.getOutputStream();
            out.write(("POST /v0/topics/t HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            int sent = 0;
            while (!closed.isDone() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20)) {
                try {
                    out.write(body, sent % body.length, 4); // past the body: the next "request", as slowly
                } catch (IOException gone) {
                    break;
                }
                sent += 4;
                Thread.sleep(250);
            }
            long closedAt = closed.get(5, TimeUnit.SECONDS);
            // the reader finished before closed.get() returned: what it wrote is visible here
            return new Trickled(answer.toString(), (answerAt[0] - start) / 1_000_000, (closedAt - start) / 1_000_000, sent);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", srv.server.port()));
        sockets.add(s);
        return s;
    }

    /** Everything until the server closes (within 10 s). */
    static String readAll(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    /** Whether the server closed the connection: an end of stream or a reset, after whatever it sent. */
    static boolean closedByServer(InputStream in) throws IOException {
        try {
            while (in.read() >= 0) {
                // an error answer before the close is fine
            }
            return true;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (SocketException reset) {
            return true;
        }
    }
}
