package io.topics.server.watch;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * One watch session (spec §11.1): what it watches and how, and where each topic's cursor
 * stands. The cursors are the server-side truth a reconnect resumes from (§11.4); a stream
 * moves them as it delivers. Thread-safe.
 */
public final class WatchSession {
    private final String wid;
    private final String owner;
    private final WatchOptions options;
    private final SortedMap<String, Long> cursors;
    private int streams; // open streams; the newest one owns the session
    private long generation;
    private long idleSince;
    private boolean queued = true; // it has an entry in the sessions' idle queue (from creation on)
    private CompletableFuture<Void> waiting; // the owning stream's wait, if it waits

    WatchSession(String wid, String owner, WatchOptions options, Map<String, Long> start, long now) {
        this.wid = wid;
        this.owner = owner;
        this.options = options;
        this.cursors = new TreeMap<>(start);
        this.idleSince = now;
    }

    public String wid() {
        return wid;
    }

    /** Who created it: a stream must present the same key (spec §11.3); null with auth off. */
    public String owner() {
        return owner;
    }

    public WatchOptions options() {
        return options;
    }

    /** One topic's cursor now, or null when it is not watched (any more). */
    public synchronized Long cursor(String topic) {
        return cursors.get(topic);
    }

    /** The cursors now, keys sorted. */
    public synchronized SortedMap<String, Long> cursors() {
        return new TreeMap<>(cursors);
    }

    /**
     * Where a new stream starts (spec §11.4): the session's cursors, each rewound to what
     * {@code lastEventId} says when that is lower. It never advances one; unknown topics and a
     * malformed id are ignored.
     */
    public synchronized SortedMap<String, Long> resume(String lastEventId) {
        for (Map.Entry<String, Long> e : WatchCursor.decode(lastEventId).entrySet()) {
            cursors.computeIfPresent(e.getKey(), (t, stored) -> Math.min(stored, e.getValue()));
        }
        return new TreeMap<>(cursors);
    }

    /**
     * The stream of generation {@code gen} delivered {@code topic} from {@code expected} to
     * {@code seq} (back too: a recreated topic). Applied only while that stream owns the session
     * and nobody moved the cursor meanwhile; returns whether it was.
     */
    public synchronized boolean advance(long gen, String topic, long expected, long seq) {
        Long stored = cursors.get(topic);
        if (generation != gen || stored == null || stored != expected) {
            return false;
        }
        cursors.put(topic, seq);
        return true;
    }

    /** A watched topic was deleted: it leaves the session. Returns whether any topic is left. */
    public synchronized boolean forget(String topic) {
        cursors.remove(topic);
        return !cursors.isEmpty();
    }

    /** A stream opens: it takes the session over. Returns its generation: older streams must end. */
    synchronized long opened() {
        streams++;
        if (waiting != null) {
            waiting.complete(null); // the stream it takes over from wakes, and ends
            waiting = null;
        }
        return ++generation;
    }

    /** The stream of {@code gen} waits on {@code wake}: a takeover completes it (at once when it already happened). */
    synchronized void waits(long gen, CompletableFuture<Void> wake) {
        if (generation == gen) {
            waiting = wake;
        } else {
            wake.complete(null);
        }
    }

    /** Whether the stream of {@code gen} still owns the session. */
    public synchronized boolean owns(long gen) {
        return generation == gen;
    }

    /**
     * A stream ended. True when that left the session idle and it has no entry in the idle
     * queue yet: the caller adds one (at {@code now}). One entry per session, at most.
     */
    synchronized boolean closed(long now) {
        streams--;
        if (streams == 0) {
            idleSince = now;
            if (!queued) {
                queued = true;
                return true;
            }
        }
        return false;
    }

    /**
     * The session's idle-queue entry came due but it has not expired: when it went idle, for
     * the entry to be put back at; or -1 while a stream is open (it leaves the queue, and the
     * stream's close puts it back).
     */
    synchronized long requeueAt() {
        if (streams == 0) {
            return idleSince;
        }
        queued = false;
        return -1;
    }

    /** Whether nobody streams it and it has been idle for {@code ttlMs}. */
    synchronized boolean expired(long now, long ttlMs) {
        return streams == 0 && now - idleSince >= ttlMs;
    }
}
