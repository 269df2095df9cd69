package io.topics.server.watch;

import java.io.IOException;
import java.io.OutputStream;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ends streams whose client stopped reading (spec §11.6): a write that has been blocked for
 * longer than the deadline is interrupted. A blocked socket write on a virtual thread closes
 * its socket when interrupted, so the stream's thread gets an {@link IOException}, the stream
 * ends and its session waits for a reconnect. A client that reads slowly but does read is
 * not cut: writes go out in slices of {@value Guarded#SLICE} bytes and only one slice's
 * blocking time counts, so a client stalls only when it takes less than that per deadline.
 *
 * <p>Java sockets have no write timeout, and Helidon does not expose the connection to a
 * handler, so this is the way to bound a stalled stream.
 */
public final class WriteDeadline implements AutoCloseable {
    private final InstantSource clock;
    private final long deadlineMs;
    private final Set<Guarded> open = ConcurrentHashMap.newKeySet();
    private final Ticker ticker;

    /**
     * @param deadlineMs how long one write may block; 0 for never
     * @param sweep whether to sweep on a timer of its own (tests call {@link #sweep} instead)
     */
    public WriteDeadline(InstantSource clock, long deadlineMs, boolean sweep) {
        this.clock = clock;
        this.deadlineMs = deadlineMs;
        ticker = sweep && deadlineMs > 0
                ? Ticker.every("topics-write-deadline", Math.clamp(deadlineMs / 10, 50, 1000), this::sweep) : null;
    }

    /**
     * {@code out}, written by the calling thread only, with each write, flush and the close
     * under the deadline. Close the result when the stream ends, on every path.
     */
    public Guarded guard(OutputStream out) {
        Guarded g = new Guarded(out, Thread.currentThread());
        open.add(g);
        return g;
    }

    /** Interrupts every write blocked past the deadline; returns how many. */
    public int sweep() {
        if (deadlineMs <= 0) {
            return 0;
        }
        long now = clock.millis();
        int cut = 0;
        for (Guarded g : open) {
            if (g.stall(now, deadlineMs)) {
                cut++;
            }
        }
        return cut;
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.close();
        }
    }

    /** An output stream whose writes are timed; see {@link #guard}. */
    public final class Guarded extends OutputStream {
        private static final long IDLE = Long.MIN_VALUE;
        /** The most one timed write asks of the socket: a client stalls when it takes less than this per deadline. */
        static final int SLICE = 64 * 1024;

        private final OutputStream out;
        private final Thread writer;
        private volatile long writingSince = IDLE;
        private boolean closed; // under this

        private Guarded(OutputStream out, Thread writer) {
            this.out = out;
            this.writer = writer;
        }

        @Override
        public void write(int b) throws IOException {
            timed(() -> out.write(b));
        }

        /** In slices, each timed on its own: a big frame to a slow reader is progress, not a stall. */
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int at = off, end = off + len; at < end; at += SLICE) {
                int from = at;
                int n = Math.min(SLICE, end - at);
                timed(() -> out.write(b, from, n));
            }
        }

        @Override
        public void flush() throws IOException {
            timed(out::flush);
        }

        private interface Io {
            void run() throws IOException;
        }

        private void timed(Io io) throws IOException {
            writingSince = clock.millis();
            try {
                io.run();
            } finally {
                writingSince = IDLE;
            }
        }

        /** Interrupts the writer when its write has blocked past the deadline (never after close). */
        private synchronized boolean stall(long now, long deadline) {
            long since = writingSince;
            if (closed || since == IDLE || now - since < deadline) {
                return false;
            }
            writer.interrupt();
            return true;
        }

        /**
         * Closes the wrapped stream, under the deadline too, then ends the guard: no interrupt
         * comes after this, and one that came is cleared, since the writer thread goes back to
         * the server. Call it from the writer thread.
         */
        @Override
        public void close() throws IOException {
            try {
                timed(out::close);
            } finally {
                synchronized (this) {
                    closed = true;
                }
                open.remove(this);
                Thread.interrupted();
            }
        }
    }
}
