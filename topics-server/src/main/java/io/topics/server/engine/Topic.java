package io.topics.server.engine;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

import io.topics.api.ErrorCode;
import io.topics.api.TopicConfig;
import io.topics.api.TopicsException;

/**
 * One instance of a named topic: its config, its records and its writer lock. Deleting a
 * topic retires the instance; a later create makes a new one whose seqs restart at 1.
 */
final class Topic {
    static final long NEVER = Long.MIN_VALUE;
    /** A read that raced an eviction is tried again this often before it answers anyway. */
    private static final int MAX_READ_ATTEMPTS = 3;
    private static final long PRIORITY_HALF_LIFE_MS = 30_000;
    private static final long PRIORITY_IDLE_CUTOFF_MS = 300_000;

    final String name;
    /**
     * This instance's id: unique for the life of the data directory, so a recreated topic never
     * shares WAL frames with its predecessor (the spec's per-instance epoch).
     */
    final long id;
    final TopicLog log = new TopicLog();
    final AppendSignal signal = new AppendSignal();
    /** Serializes writers and config changes of this instance; readers never take it. */
    final ReentrantLock lock = new ReentrantLock();

    private volatile TopicConfig config;
    private volatile boolean retired;
    private volatile long lastWriteTs = NEVER;
    private volatile long lastReadTs = NEVER;
    private IdempotencyWindow idempotency; // guarded by lock, created on first keyed write
    /** Seqs up to here were reserved in the journal (unlogged classes); guarded by lock. */
    long reserved;
    /**
     * Seqs up to here may have been handed out to writes a crash can lose (memory, disk): a
     * recovery that cannot rule the loss out continues above it, with a tombstone. Under lock.
     */
    long tailReserved;
    /** The next tail block, asked for but maybe not yet forced, and where it ends. Under lock. */
    java.util.concurrent.CompletableFuture<Void> tailRequested;
    long tailRequestedUpTo;
    /** The highest seq written through the journal: checkpoints seal up to here. Written under lock. */
    volatile long loggedThrough;
    /** Recovery set this best-effort topic's records aside: it answers 503 until they are replayed. */
    volatile boolean pending;
    /** The first lsn the deferred replay applies to this topic. */
    volatile long pendingFrom;
    /** The highest seq written while the topic's class logged no records (0: none this run). Under lock. */
    long unloggedThrough;
    /** The highest TTL floor journaled: a delete journals a newer one first. Guarded by lock. */
    long journaledTtl;
    /** The config at {@link #pendingFrom}: the deferred replay's caps start from it, not from the final one. */
    TopicConfig pendingConfig;

    Topic(String name, long id, TopicConfig config) {
        this.name = name;
        this.id = id;
        this.config = config;
    }

    TopicConfig config() {
        return config;
    }

    /** Caller holds {@link #lock}. */
    void config(TopicConfig c) {
        config = c;
        log.changed(); // dedupe_node changes what reads return
    }

    boolean retired() {
        return retired;
    }

    /** Caller holds {@link #lock}. Wakes long-polls so they notice. */
    void retire() {
        retired = true;
        signal.fire();
    }

    /** Caller holds {@link #lock}. */
    IdempotencyWindow idempotency() {
        if (idempotency == null) {
            idempotency = new IdempotencyWindow();
        }
        return idempotency;
    }

    void wrote(long now) {
        lastWriteTs = now;
    }

    long lastWriteTs() {
        return lastWriteTs;
    }

    void touched(long now) {
        lastReadTs = now;
    }

    /** Manual priority, else auto: {@code round(500 * 2^(-idle/30s))}, 0 when idle 5 min or never read. */
    int effectivePriority(long now) {
        TopicConfig c = config;
        if (c.priority() != null) {
            return c.priority();
        }
        long last = lastReadTs;
        if (!c.autoPriority() || last == NEVER) {
            return 0;
        }
        long idle = Math.max(0, now - last);
        if (idle >= PRIORITY_IDLE_CUTOFF_MS) {
            return 0;
        }
        return (int) Math.round(500 * Math.pow(2, -(double) idle / PRIORITY_HALF_LIFE_MS));
    }

    TopicInfo info(long now) {
        long head = log.head();
        return new TopicInfo(name, head, log.earliest(), log.count(), log.bytes(), config, effectivePriority(now),
                lastWriteTs == NEVER ? null : lastWriteTs, lastReadTs == NEVER ? null : lastReadTs, pending);
    }

    /**
     * One non-blocking read (spec §6.2, §7.2, §7.3): a cursor below the evict floor gets one
     * tombstone for exactly the seqs lost, then the records from the floor on; deleted seqs
     * are crossed silently. A crash's lost range is a tombstone too, for the reader that reaches
     * it: a read stops before it, and the next one reports it.
     */
    DiffResult read(DiffQuery q, JsonOut out) {
        Set<String> hidden = config.dedupeNode() ? q.nodes() : Set.of();
        int mark = out.size();
        for (int attempt = 1; ; attempt++) {
            TopicLog.Watermarks w = log.watermarks();
            long head = w.head();
            long cursor = q.fromSeq();
            Tombstone tombstone = null;
            long floor = w.floor();
            if (cursor > head) {
                // a cursor from the future: the topic was deleted and recreated under the reader
                tombstone = new Tombstone(1, head, "recreated", head, floor, head);
                cursor = 0;
            } else if (cursor + 1 < floor) {
                tombstone = new Tombstone(cursor + 1, floor - 1, log.evictReason(cursor + 1), floor - 1 - cursor, floor,
                        head);
            }
            long from = Math.min(head, Math.max(cursor, w.earliest() - 1));
            // every hole a crash left between the cursor and where the read resumes joins the tombstone
            long[] hole = log.holeAfter(cursor);
            while (hole != null && hole[0] <= head && hole[0] <= from + 1) {
                if (tombstone == null || !tombstone.reason().equals("recreated")) { // that one covers up to the head
                    long gapFrom = tombstone == null ? cursor + 1 : tombstone.gapFrom();
                    long gapTo = tombstone == null ? hole[1] : Math.max(hole[1], tombstone.gapTo());
                    String reason = tombstone == null || tombstone.reason().equals("crash") ? "crash" : "mixed";
                    tombstone = new Tombstone(gapFrom, gapTo, reason, gapTo - gapFrom + 1,
                            Math.max(gapTo + 1, tombstone == null ? 0 : tombstone.earliestSeq()), head);
                }
                from = Math.min(head, Math.max(from, hole[1]));
                hole = log.holeAfter(hole[1]);
            }
            // a hole further on: stop before it, and the next read reports it
            long readTo = hole != null && hole[0] <= head ? hole[0] - 1 : head;
            TopicLog.ReadResult r;
            try {
                r = log.read(from, readTo, q, hidden, out);
            } catch (java.io.IOException e) {
                if (retired) {
                    throw TopicsException.topicNotFound(name); // deleted under the reader, files and all
                }
                throw Engine.segmentUnreadable(this, e);
            }
            if (attempt < MAX_READ_ATTEMPTS && log.evictFloor() > Math.max(floor, from + 1)) {
                // records this read wanted were evicted meanwhile, and their memory may be gone
                // from under it: read again against the new floor, which reports them
                out.truncate(mark);
                continue;
            }
            return new DiffResult(name, r.records(), r.lastExamined(), head, w.earliest(), tombstone, r.scanned());
        }
    }

}
