package io.topics.cli.command;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Many watch streams read by one thread: one selector over raw HTTP/1.1 connections, with no
 * thread, reader or string per stream, so that a latency benchmark with 1 000 watchers
 * measures the server, not its own client. It does not decode SSE: it scans the bytes for
 * two markers, {@code event: caught-up} and a record's {@code {"t":<nanos>}}, which the
 * benchmark's own records carry, and carries a short tail across reads so a marker cut by a
 * read is still found. The chunked framing is not in the way: each frame of one small record
 * is one flush, so chunk headers fall between frames.
 */
final class StreamFanIn implements AutoCloseable {
    /** What a stream saw: one call per caught-up frame, and one per record's send time. */
    interface Sink {
        void caughtUp(int stream);

        void record(int stream, long sentNanos, long nowNanos);
    }

    private static final byte[] CAUGHT_UP = "event: caught-up".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SENT = "{\"t\":".getBytes(StandardCharsets.US_ASCII);
    /** Longer than either marker with its number: a scan never misses one split by a read. */
    private static final int CARRY = 40;
    private static final int READ_BYTES = 256 * 1024;

    private final Selector selector;
    private final List<SocketChannel> channels = new ArrayList<>();

    /** Opens one stream per wid, sending its GET; nothing is read until {@link #run}. */
    StreamFanIn(URI base, List<String> wids, String authorization) throws IOException {
        selector = Selector.open();
        InetSocketAddress to = new InetSocketAddress(base.getHost(), base.getPort() < 0 ? 80 : base.getPort());
        for (int i = 0; i < wids.size(); i++) {
            SocketChannel c = SocketChannel.open(to);
            c.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
            String get = "GET /v0/watch/" + wids.get(i) + " HTTP/1.1\r\nHost: " + base.getHost()
                    + "\r\nAccept: text/event-stream\r\n" + (authorization == null ? "" : "Authorization: "
                    + authorization + "\r\n") + "\r\n";
            ByteBuffer request = ByteBuffer.wrap(get.getBytes(StandardCharsets.US_ASCII));
            while (request.hasRemaining()) {
                c.write(request);
            }
            c.configureBlocking(false);
            c.register(selector, SelectionKey.OP_READ, new Scan(i));
            channels.add(c);
        }
    }

    /** Reads until the thread is interrupted or every stream ended. */
    void run(Sink sink) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(READ_BYTES);
        int open = channels.size();
        while (open > 0 && !Thread.currentThread().isInterrupted()) {
            selector.select(200);
            for (SelectionKey key : selector.selectedKeys()) {
                Scan s = (Scan) key.attachment();
                SocketChannel c = (SocketChannel) key.channel();
                buffer.clear();
                int n = c.read(buffer);
                if (n < 0) {
                    key.cancel();
                    c.close();
                    open--;
                    continue;
                }
                s.feed(buffer.array(), n, System.nanoTime(), sink);
            }
            selector.selectedKeys().clear();
        }
    }

    @Override
    public void close() throws IOException {
        for (SocketChannel c : channels) {
            c.close();
        }
        selector.close();
    }

    /** One stream's scan: the markers in its bytes, read by read, with the tail carried over. */
    static final class Scan {
        final int stream;
        private static final int PIECE = 4096; // scanned at a time: 1 000 streams hold 4 MiB
        private final byte[] bytes = new byte[CARRY + PIECE];
        private int carried;

        Scan(int stream) {
            this.stream = stream;
        }

        /** The next {@code n} bytes of the stream, read at {@code now}. */
        void feed(byte[] read, int n, long now, Sink sink) {
            for (int off = 0; off < n; off += PIECE) {
                int part = Math.min(PIECE, n - off);
                System.arraycopy(read, off, bytes, carried, part);
                scan(bytes, carried + part, now, sink);
            }
        }

        private void scan(byte[] b, int len, long now, Sink sink) {
            int done = 0; // bytes before this are matched or can start no marker
            for (int i = 0; i < len; i++) {
                if (b[i] == '{' && matches(b, len, i, SENT)) {
                    int end = i + SENT.length;
                    long sent = 0;
                    while (end < len && b[end] >= '0' && b[end] <= '9') {
                        sent = sent * 10 + (b[end++] - '0');
                    }
                    if (end == len) {
                        break; // the number may go on in the next read
                    }
                    sink.record(stream, sent, now);
                    done = end;
                    i = end - 1;
                } else if (b[i] == 'e' && matches(b, len, i, CAUGHT_UP)) {
                    sink.caughtUp(stream);
                    done = i + CAUGHT_UP.length;
                    i = done - 1;
                }
            }
            // a marker that starts before the last CARRY bytes was matched above, whole
            int from = Math.max(done, len - CARRY);
            carried = len - from;
            System.arraycopy(b, from, b, 0, carried);
        }

        private static boolean matches(byte[] b, int len, int at, byte[] marker) {
            if (at + marker.length > len) {
                return false;
            }
            for (int k = 0; k < marker.length; k++) {
                if (b[at + k] != marker[k]) {
                    return false;
                }
            }
            return true;
        }
    }
}
