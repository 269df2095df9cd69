package io.topics.server.watch;

import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.NavigableSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.topics.api.ErrorCode;
import io.topics.api.TopicsException;

/**
 * The live watch sessions, in memory only (spec §11.1): lost on restart, and collected once
 * they have had no open stream for their TTL. Collection runs on every create and every
 * stream open, never on a timer, and costs only the sessions it looks at: those whose idle
 * time began longest ago, in a queue sorted by that time, with one entry per session.
 */
public final class WatchSessions implements AutoCloseable {
    public static final long SESSION_TTL_MS = 300_000;

    private final InstantSource clock;
    private final int maxSessions;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, WatchSession> sessions = new ConcurrentHashMap<>();
    /**
     * One entry per session, sorted by when it went idle (created, or its last stream closed),
     * oldest first. An entry may be older than its session's idle time (it streamed since).
     */
    private final NavigableSet<Idle> idle = new ConcurrentSkipListSet<>(
            Comparator.comparingLong(Idle::since).thenComparing(i -> i.session().wid()));
    private final AtomicInteger streams = new AtomicInteger();
    private final Map<BatchKey, Batch> batches = new ConcurrentHashMap<>();
    private final AtomicLong batchBytes = new AtomicLong();

    /** Waiting streams' wake futures, each with when its heartbeat (or re-check) falls due. */
    private final Map<CompletableFuture<Void>, Long> waiting = new ConcurrentHashMap<>();
    private volatile boolean stopping;
    private Ticker ticker;

    /** Payload the shared batches may hold; past it the cache starts over. */
    static final long MAX_BATCH_CACHE_BYTES = 64L << 20;

    /** One read of a topic: from a cursor, with a session's options, at a read version. */
    record BatchKey(String topic, long cursor, WatchOptions options, long version) {
    }

    /**
     * What that read returned: the result, and its {@code record} frame from the event line to
     * the blank line that ends it (null without records). Encoded once and handed to every
     * stream that asks the same question at the same version: many watchers at the tail of one
     * topic read and encode each new record once between them. Never changed.
     */
    record Batch(io.topics.server.engine.DiffResult result, byte[] frame) {
        long bytes() {
            return frame == null ? 0 : frame.length;
        }
    }

    /** A batch another stream read, or null. */
    Batch batch(BatchKey key) {
        return batches.get(key);
    }

    /** Shares a batch read at {@code key}'s version (the caller saw that version before and after it). */
    void share(BatchKey key, Batch b) {
        if (batchBytes.addAndGet(b.bytes()) > MAX_BATCH_CACHE_BYTES) {
            batches.clear(); // bounded: old versions are never asked for again anyway
            batchBytes.set(b.bytes());
        }
        if (batches.size() > 4096) {
            batches.clear();
            batchBytes.set(b.bytes());
        }
        batches.put(key, b);
    }

    /** @param maxSessions at most this many live sessions; 0 for no cap */
    public WatchSessions(InstantSource clock, int maxSessions) {
        this.clock = clock;
        this.maxSessions = maxSessions;
    }

    /**
     * A new session over {@code start} (topic → first cursor), for {@code owner}.
     *
     * @throws TopicsException {@code 429 throttled} ({@code limit:"max_watch_sessions"}) at the cap
     */
    public WatchSession create(String owner, WatchOptions options, Map<String, Long> start) {
        collect();
        if (maxSessions > 0 && sessions.size() >= maxSessions) {
            throw new TopicsException(ErrorCode.THROTTLED, "too many watch sessions (max " + maxSessions + ")",
                    Map.of("limit", "max_watch_sessions", "max", maxSessions));
        }
        while (true) {
            long now = clock.millis();
            WatchSession s = new WatchSession(newWid(), owner, options, start, now);
            if (sessions.putIfAbsent(s.wid(), s) == null) {
                idle.add(new Idle(s, now));
                return s;
            }
        }
    }

    /** The live session {@code wid}, or null; opens nothing. */
    public WatchSession find(String wid) {
        collect();
        return sessions.get(wid);
    }

    /** A stream opens on {@code wid}: the session and the stream's generation, or null for an unknown wid. */
    public Stream open(String wid) {
        collect();
        WatchSession s = sessions.get(wid);
        if (s == null) {
            return null;
        }
        streams.incrementAndGet();
        return new Stream(s, s.opened());
    }

    /** A stream that ended: its session may be collected after its TTL. */
    public void closed(Stream stream) {
        long now = clock.millis();
        if (stream.session().closed(now)) {
            idle.add(new Idle(stream.session(), now));
        }
        streams.decrementAndGet();
    }

    /**
     * Wakes {@code wake} at {@code dueAt} (the clock's millis) at the latest, or at once when
     * the sessions stop. For a waiting stream's heartbeat: the streams share one timer instead
     * of a timed wait each. Call {@link #woken} when the wait ends.
     */
    void wakeAt(CompletableFuture<Void> wake, long dueAt) {
        waiting.put(wake, dueAt);
        if (stopping) {
            wake.complete(null);
        }
    }

    void woken(CompletableFuture<Void> wake) {
        waiting.remove(wake);
    }

    /** Completes the waits that fell due; returns how many. Runs on the ticker (tests call it). */
    public int tick() {
        long now = clock.millis();
        int woke = 0;
        for (Map.Entry<CompletableFuture<Void>, Long> e : waiting.entrySet()) {
            if (stopping || e.getValue() <= now) {
                woke += e.getKey().complete(null) ? 1 : 0;
            }
        }
        return woke;
    }

    /** The server stops: every waiting stream wakes now (to say so and end), and later ones at once. */
    public void stopping() {
        stopping = true;
        tick();
    }

    /** Whether {@link #stopping} was called: streams end with a 503 {@code error} frame. */
    public boolean stopped() {
        return stopping;
    }

    /** Ticks every {@code periodMs} on a thread of its own until {@link #close}: the heartbeat granularity. */
    public WatchSessions ticking(long periodMs) {
        ticker = Ticker.every("topics-watch-ticker", periodMs, this::tick);
        return this;
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.close();
        }
    }

    /** Streams open now (the {@code sse_connections} metric). */
    public int streams() {
        return streams.get();
    }

    /** Whether the session is still live (not collected). */
    public boolean live(WatchSession s) {
        return sessions.get(s.wid()) == s;
    }

    public int size() {
        return sessions.size();
    }

    /** An open stream: its session, and the generation that owns it while no newer stream opened. */
    public record Stream(WatchSession session, long generation) {
        public boolean current() {
            return session.owns(generation);
        }
    }

    private record Idle(WatchSession session, long since) {
    }

    /**
     * Removes the sessions idle for the TTL, looking only at the entries that came due: each
     * finds its session expired (removed), idle since later (put back at that time), or
     * streaming (dropped; the stream's close queues it again).
     */
    private void collect() {
        long now = clock.millis();
        for (Idle head : idle) { // oldest first; an entry put back is not due, so the walk stops there
            if (now - head.since() < SESSION_TTL_MS) {
                break;
            }
            if (!idle.remove(head)) {
                continue; // another collector took it
            }
            WatchSession s = head.session();
            if (s.expired(now, SESSION_TTL_MS)) {
                sessions.remove(s.wid(), s);
            } else {
                long at = s.requeueAt();
                if (at >= 0) {
                    idle.add(new Idle(s, at));
                }
            }
        }
    }

    /** {@code "wid_"} and 16 bytes from a CSPRNG, base64url without padding: unguessable. */
    private String newWid() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return "wid_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
