package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5's slow readers: 1 000 watch sessions on one topic, 100 of whose clients never read.
 * The server's heap stays flat while it writes on (a stalled stream holds its cursor, not the
 * records it owes), and the other 900 streams get every record, each before the next write.
 */
class WatchSlowReadersTest {
    static final int SESSIONS = 1000;
    static final int SILENT = 100;
    static final int WRITES = 60;
    static final int RECORDS_PER_WRITE = 10;
    static final int RECORD_BYTES = 2000;
    /** What the server would hold for the silent streams if it queued what it owes them. */
    static final long OWED_IF_QUEUED = (long) SILENT * (WRITES - 10) * RECORDS_PER_WRITE * RECORD_BYTES;

    @TempDir
    Path dir;
    ServerFixture srv;
    final List<SocketChannel> sockets = new ArrayList<>();
    Selector selector;

    @AfterEach
    void stop() throws IOException {
        for (SocketChannel c : sockets) {
            c.close();
        }
        if (selector != null) {
            selector.close();
        }
        if (srv != null) {
            srv.close();
        }
    }

    @Test
    void silentClientsCostTheServerNoMemoryAndDelayNobodyElse() throws Exception {
        // small kernel send buffers, so the silent streams stall after a few writes, not 4 MiB
        srv = new ServerFixture(dir, Map.of("TOPICS_SOCKET_SEND_BUFFER_BYTES", "65536", "TOPICS_SSE_STALL_MS", "0"));
        srv.json("PUT", "/v0/topics/slow", "{\"durability\":\"memory\"}");
        selector = Selector.open();
        AtomicLongArray seen = new AtomicLongArray(SESSIONS); // records each reading stream got
        for (int i = 0; i < SESSIONS; i++) {
            String wid = (String) srv.json("POST", "/v0/watch", "{\"topics\":{\"slow\":{\"tail\":true}}}").json()
                    .get("wid");
            SocketChannel c = SocketChannel.open();
            if (i < SILENT) {
                c.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
            }
            c.connect(new InetSocketAddress("127.0.0.1", srv.server.port()));
            c.write(ByteBuffer.wrap(("GET /v0/watch/" + wid + " HTTP/1.1\r\nHost: t\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            sockets.add(c);
            if (i >= SILENT) {
                c.configureBlocking(false);
                c.register(selector, SelectionKey.OP_READ, new Counter(i));
            }
        }
        Thread reader = Thread.ofPlatform().daemon().start(() -> drain(seen));
        try {
            String record = "{\"data\":\"" + "x".repeat(RECORD_BYTES - 2) + "\"}";
            String body = "{\"records\":[" + String.join(",", Collections.nCopies(RECORDS_PER_WRITE, record)) + "]}";
            long baseline = 0;
            for (int w = 1; w <= WRITES; w++) {
                assertEquals(200, srv.json("POST", "/v0/topics/slow", body).status());
                long expected = (long) w * RECORDS_PER_WRITE;
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                for (int i = SILENT; i < SESSIONS; i++) {
                    while (seen.get(i) < expected) {
                        assertTrue(System.nanoTime() < until, "reading stream " + i + " has " + seen.get(i) + " of "
                                + expected + " records: the silent ones hold it up");
                        Thread.sleep(1);
                    }
                }
                if (w == 10) {
                    baseline = heapAfterGc(); // the silent streams are stalled by now
                }
            }
            long growth = heapAfterGc() - baseline;
            System.out.println("slow readers: heap " + (baseline >> 20) + " MiB after 10 writes, grew by "
                    + (growth >> 10) + " KiB over " + (WRITES - 10) + " more");
            assertTrue(growth < OWED_IF_QUEUED / 4, "the heap grew by " + (growth >> 20) + " MiB while "
                    + (OWED_IF_QUEUED >> 20) + " MiB were owed to silent clients");
            for (int i = SILENT; i < SESSIONS; i++) {
                assertEquals((long) WRITES * RECORDS_PER_WRITE, seen.get(i), "stream " + i + ": nothing lost or repeated");
            }
            Map<String, Object> metrics = srv.send("GET", "/v0/metrics", null, "Accept", "application/json").json();
            assertEquals(SESSIONS, ((Number) metrics.get("sse_connections")).intValue(), "the silent ones are still open");
        } finally {
            reader.interrupt();
            reader.join(5_000);
        }
    }

    static long heapAfterGc() throws InterruptedException {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            Runtime rt = Runtime.getRuntime();
            least = Math.min(least, rt.totalMemory() - rt.freeMemory());
        }
        return least;
    }

    /** Counts {@code {"$seq":} in one stream's bytes, carrying a marker cut by a read. */
    record Counter(int stream, byte[] tail) {
        static final byte[] MARK = "{\"$seq\":".getBytes(StandardCharsets.US_ASCII);

        Counter(int stream) {
            this(stream, new byte[MARK.length - 1]);
        }

        long count(byte[] b, int len) {
            byte[] all = new byte[tail.length + len];
            System.arraycopy(tail, 0, all, 0, tail.length);
            System.arraycopy(b, 0, all, tail.length, len);
            long n = 0;
            outer:
            for (int i = 0; i + MARK.length <= all.length; i++) {
                for (int k = 0; k < MARK.length; k++) {
                    if (all[i + k] != MARK[k]) {
                        continue outer;
                    }
                }
                n++;
            }
            System.arraycopy(all, all.length - tail.length, tail, 0, tail.length);
            return n;
        }
    }

    private void drain(AtomicLongArray seen) {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        try {
            while (!Thread.currentThread().isInterrupted()) {
                selector.select(100);
                for (SelectionKey k : selector.selectedKeys()) {
                    buf.clear();
                    int n = ((SocketChannel) k.channel()).read(buf);
                    if (n > 0) {
                        Counter c = (Counter) k.attachment();
                        seen.addAndGet(c.stream(), c.count(buf.array(), n));
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException | java.nio.channels.ClosedSelectorException ended) {
            // the test is over
        }
    }
}
