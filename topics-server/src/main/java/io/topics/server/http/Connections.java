package io.topics.server.http;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.topics.server.watch.Ticker;

/**
 * The read timeout ({@code TOPICS_READ_TIMEOUT_MS}) over Helidon's NIO reads, which no socket
 * timeout reaches. A connection is registered as it is accepted, is busy while a request of it
 * is handled, and a sweep closes it when it sat idle past the timeout (before its first
 * request, halfway through its headers, or between requests). When a request's body did not
 * arrive whole by its deadline, the sweep shuts the connection's input instead: the blocked
 * read ends, and the handler can still answer {@code body_timeout} before the connection closes. A watch stream or a long poll is busy, never idle; a client
 * that trickles its headers is timed from its last answer, however it drips.
 */
public final class Connections implements AutoCloseable {
    private final InstantSource clock;
    private final long timeoutMs;
    /** By both ends: one client address may reach the server's several addresses at once. */
    private final Map<Ends, Conn> open = new ConcurrentHashMap<>();
    private final Ticker ticker;
    private final Busy notTracked = new Busy(null);
    /** A connection's busy count once the sweep closes it: a request that arrives then sees it below 0. */
    private static final int CLOSING = Integer.MIN_VALUE / 2;

    /**
     * @param timeoutMs the longest idle time and body read; 0 for none (nothing is tracked)
     * @param sweep whether to sweep on a ticker of its own (tests call {@link #sweep} instead)
     */
    public Connections(InstantSource clock, long timeoutMs, boolean sweep) {
        this.clock = clock;
        this.timeoutMs = timeoutMs;
        this.ticker = sweep && timeoutMs > 0
                ? Ticker.every("topics-read-timeout", Math.clamp(timeoutMs / 10, 50, 1000), this::sweep) : null;
    }

    /** A connection was accepted. */
    public void accepted(SocketChannel channel) {
        if (timeoutMs <= 0) {
            return;
        }
        try {
            open.put(new Ends(channel.getLocalAddress(), channel.getRemoteAddress()), new Conn(channel, clock.millis()));
        } catch (IOException gone) {
            // closed already: nothing to time
        }
    }

    /**
     * A request from {@code peer} is being handled until the result is closed; null when the
     * sweep is closing that connection as idle this instant (the request must not run: its
     * answer would be lost).
     */
    Busy busy(SocketAddress local, SocketAddress peer) {
        Conn c = local == null || peer == null ? null : open.get(new Ends(local, peer));
        if (c == null) {
            return notTracked;
        }
        if (c.busy.incrementAndGet() < 0) {
            return null;
        }
        return new Busy(c);
    }

    /** Closes the connections idle past the timeout, and ends the bodies past theirs; returns how many. */
    public int sweep() {
        long now = clock.millis();
        int closed = 0;
        for (Map.Entry<Ends, Conn> e : open.entrySet()) {
            Conn c = e.getValue();
            if (!c.channel.isOpen()) {
                open.remove(e.getKey(), c);
            } else if (now - c.idleSince >= timeoutMs && c.busy.compareAndSet(0, CLOSING)) {
                if (now - c.idleSince < timeoutMs) {
                    c.busy.addAndGet(-CLOSING); // a request ended between the two looks: it is not idle
                    continue;
                }
                try {
                    c.channel.close(); // the blocked read fails, and Helidon lets go of the connection
                } catch (IOException ignored) {
                    // closed all the same
                }
                open.remove(e.getKey(), c);
                closed++;
            } else if (c.busy.get() > 0 && now >= c.bodyBy) {
                c.bodyBy = Long.MAX_VALUE;
                try {
                    c.channel.shutdownInput(); // the body's blocked read sees its end
                } catch (IOException ignored) {
                    // closed meanwhile
                }
                closed++;
            }
        }
        return closed;
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.close();
        }
    }

    private record Ends(SocketAddress local, SocketAddress remote) {
    }

    private static final class Conn {
        final SocketChannel channel;
        final AtomicInteger busy = new AtomicInteger();
        volatile long idleSince;
        volatile long bodyBy = Long.MAX_VALUE;

        Conn(SocketChannel channel, long now) {
            this.channel = channel;
            this.idleSince = now;
        }
    }

    /** One request being handled; close it when the handler ends. */
    final class Busy implements AutoCloseable {
        private final Conn conn;

        private Busy(Conn conn) {
            this.conn = conn;
        }

        /** Its body must arrive whole within the timeout from now; else the connection closes. */
        void bodyDue() {
            if (conn != null) {
                conn.bodyBy = clock.millis() + timeoutMs;
            }
        }

        /** The body arrived. */
        void bodyRead() {
            if (conn != null) {
                conn.bodyBy = Long.MAX_VALUE;
            }
        }

        @Override
        public void close() {
            if (conn != null) {
                conn.bodyBy = Long.MAX_VALUE;
                conn.idleSince = clock.millis();
                conn.busy.decrementAndGet();
            }
        }
    }
}
