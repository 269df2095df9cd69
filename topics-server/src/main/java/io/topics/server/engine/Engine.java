package io.topics.server.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import io.topics.api.ErrorCode;
import io.topics.api.Names;
import io.topics.api.TopicConfig;
import io.topics.api.TopicsException;
import io.topics.api.spi.durability.AckPoint;
import io.topics.api.spi.durability.DurabilityClassProvider;
import io.topics.segments.Segment;
import io.topics.segments.SegmentInfo;
import io.topics.wal.Frame;
import io.topics.wal.FrameType;

/**
 * The topic registry and the write and read paths, free of any HTTP type. Thread-safe:
 * writers to one topic serialize on that topic's lock for the few microseconds it takes to
 * assign seqs and copy bytes; readers never lock.
 */
public final class Engine {
    /** Seqs an unlogged (ephemeral) topic reserves per forced reservation frame. */
    static final long RESERVE_BLOCK = 100_000;
    /**
     * Seqs a topic whose writes a crash can lose ({@code memory}, {@code disk}) reserves per
     * forced frame: after an unclean stop it continues above them, so a small block keeps the
     * tombstone for what may be lost close to what was handed out.
     */
    static final long TAIL_BLOCK = 10_000;
    private static final long DRAIN_TIMEOUT_MS = 10_000;
    private static final long RETRY_AFTER_MS = 50;

    private final InstantSource clock;
    private final EngineLimits limits;
    private final Map<String, DurabilityClassProvider> classes;
    private final Journal journal;
    private final ConcurrentSkipListMap<String, Topic> topics = new ConcurrentSkipListMap<>();
    /** Serializes topic creation and deletion, so the topic count and the cap stay exact. */
    private final ReentrantLock registryLock = new ReentrantLock();
    private final AtomicLong topicIds = new AtomicLong();
    private final LongAdder totalBytes = new LongAdder();
    /** Payload bytes held in memory: unsealed tails and ephemeral topics. */
    private final LongAdder memoryBytes = new LongAdder();
    private final LongAdder appendedRecords = new LongAdder();
    /** Records removed by caps, by TTL and by deletes since start (replay not counted). */
    private final LongAdder evictedRecords = new LongAdder();
    private final LongAdder expiredRecords = new LongAdder();
    private final LongAdder deletedRecords = new LongAdder();
    private final LongAdder throttled = new LongAdder();
    private volatile int topicCount;
    /** Topics by id while the journal is replayed; null afterwards. */
    private Map<Long, Topic> replaying;
    /** Recovery from a snapshot: frames below replayFrom are covered, and so are non-append frames below snapshotLsn. */
    private long replayFrom = Long.MIN_VALUE;
    private long snapshotLsn = Long.MIN_VALUE;
    /** Gaps replay found in logged topics, until {@link #recovered} hands them over. */
    private final List<String> replayProblems = new ArrayList<>();
    /** Recovery sets best-effort topics' records aside (marking them pending) when asked. */
    private boolean deferBestEffort;
    /** Topics waiting for the deferred replay, by id; and what that replay found missing. */
    private final Map<Long, Topic> pendingById = new ConcurrentHashMap<>();
    private final List<String> deferredProblems = new ArrayList<>();
    /** Whether this start is in the same machine boot as the last run (see {@link BootMark}). */
    private boolean sameBoot;
    /** Topics recovery gave a lost tail, until {@link #journalLostTails} journals them. */
    private final List<long[]> lostTails = new ArrayList<>(); // {topic id, first lost seq, last lost seq}
    /** The loaded snapshot's lsn, for the deferred replay: it holds the non-append frames below it. */
    private long deferredSnapshotLsn = Long.MIN_VALUE;
    /** Seals and snapshots; null for an engine that keeps everything in memory. */
    private volatile Checkpoints checkpoints;

    /**
     * @param classes the durability classes by name ({@code disk} and {@code fsync} required)
     * @param journal where state changes are made durable
     */
    public Engine(InstantSource clock, EngineLimits limits, Map<String, DurabilityClassProvider> classes,
                  Journal journal) {
        this.clock = Objects.requireNonNull(clock, "clock is null");
        this.limits = Objects.requireNonNull(limits, "limits is null");
        this.classes = Map.copyOf(classes);
        this.journal = Objects.requireNonNull(journal, "journal is null");
        if (!classes.containsKey(TopicConfig.DEFAULT_DURABILITY) || !classes.containsKey(TopicConfig.FSYNC)) {
            throw new IllegalArgumentException("durability classes must include disk and fsync: " + classes.keySet());
        }
    }

    /** An engine that keeps everything in memory: every class commits at once. For tests and benchmarks. */
    public Engine(InstantSource clock, EngineLimits limits, Set<String> durabilityClasses) {
        this(clock, limits, inMemory(durabilityClasses), Journal.NONE);
    }

    private static Map<String, DurabilityClassProvider> inMemory(Set<String> names) {
        Map<String, DurabilityClassProvider> m = new HashMap<>();
        for (String n : names) {
            m.put(n, new DurabilityClassProvider() {
                @Override
                public String name() {
                    return n;
                }

                @Override
                public AckPoint ackPoint() {
                    return AckPoint.IMMEDIATE;
                }

                @Override
                public boolean logsRecords() {
                    return false;
                }
            });
        }
        return m;
    }

    /** Create or configure (spec §4.1): an idempotent upsert; omitted fields keep their value. */
    public PutResult putTopic(String name, ConfigPatch patch) {
        Names.requireTopicName(name);
        while (true) {
            Topic t = topics.get(name);
            if (t == null) {
                Created c = create(name, patch.applyTo(TopicConfig.DEFAULTS, name, classes.keySet()));
                if (c.created) {
                    return new PutResult(name, true, c.topic.config());
                }
                t = c.topic;
            }
            t.lock.lock();
            try {
                if (t.retired()) {
                    continue;
                }
                refuseIfPending(t);
                TopicConfig current = t.config();
                if (patch.type() != null && patch.type() != current.type()) {
                    throw new TopicsException(ErrorCode.TOPIC_EXISTS_INCOMPATIBLE,
                            "topic \"" + name + "\" is a " + current.type().wireName() + "; type cannot change",
                            Map.of("topic", name, "type", current.type().wireName()));
                }
                TopicConfig next = patch.applyTo(current, name, classes.keySet());
                if (!next.equals(current)) {
                    refuseIfJournalFailed();
                    // publishes must stay in seq order across a class switch, and tighter caps
                    // apply to published records only
                    awaitPublished(t, t.log.filled(), "in-flight writes");
                    DurabilityClassProvider from = classOf(current);
                    DurabilityClassProvider to = classOf(next);
                    if (from.ackPoint() != to.ackPoint() || from.logsRecords() != to.logsRecords()) {
                        t.log.breakChunk();
                    }
                    if (longerTtl(current, next)) {
                        // what expired stays expired: replay would judge it by the longer TTL
                        expire(t, clock.millis());
                        journalTtlFloor(t);
                    }
                    commit(journal.topicConfigured(t.id, clock.millis(), Codec.config(next)));
                    configure(t, next, clock.millis());
                }
                return new PutResult(name, false, next);
            } finally {
                t.lock.unlock();
            }
        }
    }

    /**
     * Appends a batch atomically (spec §5), creating the topic first when allowed. Returns once
     * the batch is committed for the topic's durability class and visible to readers.
     */
    public AppendResult append(String name, WriteBatch batch) {
        Names.requireTopicName(name);
        if (batch.size() == 0) {
            throw TopicsException.invalid("records must hold at least one record");
        }
        checkTotalBytes(batch.payloadBytes());
        long roomDeadline = System.nanoTime() + DRAIN_TIMEOUT_MS * 1_000_000;
        while (true) {
            Topic t = topics.get(name);
            boolean created = false;
            if (t == null) {
                ConfigPatch patch = batch.createConfig() == null ? ConfigPatch.EMPTY : batch.createConfig();
                TopicConfig config = patch.applyTo(TopicConfig.DEFAULTS, name, classes.keySet());
                boolean allowed = batch.create() != null ? batch.create() : config.autoCreate();
                if (!allowed) {
                    throw TopicsException.topicNotFound(name);
                }
                Created c = create(name, config);
                t = c.topic;
                created = c.created;
            }
            if (batch.disableBackpressure()) {
                awaitRoom(t, batch.payloadBytes(), roomDeadline); // without the topic lock: others go on
            }
            CompletableFuture<Void> committed;
            AppendResult result;
            lockWithinCommitWait(t);
            try {
                if (t.retired()) {
                    continue;
                }
                refuseIfPending(t);
                refuseIfJournalFailed();
                long now = clock.millis();
                String key = batch.idempotencyKey();
                if (key != null) {
                    IdempotencyWindow.Entry seen = t.idempotency().find(key, now);
                    if (seen != null) {
                        long seenLast = seen.firstSeq() + seen.count() - 1;
                        t.lock.unlock(); // not taken again: the finally below sees it is not held
                        // the first call may still be committing: answer only what is committed, in time
                        if (!publishedWithin(t, seenLast, limits.commitWaitMs(), "the write this idempotency key names")) {
                            throw storageStalled("the first write with this idempotency key has not reached the disk within "
                                    + limits.commitWaitMs() + " ms; it may still be committed: retry again later");
                        }
                        return new AppendResult(name, seen.firstSeq(), seenLast, t.log.head(), 0, created, true);
                    }
                }
                if (t.config().discard() == TopicConfig.Discard.REJECT) {
                    expire(t, now); // retention first: what expired makes room
                }
                refuseIfFull(t, batch);
                now = Math.max(now, t.lastWriteTs()); // a topic's timestamps never go back: TTL expires a prefix
                long first = t.log.filled() + 1;
                long last = first + batch.size() - 1;
                DurabilityClassProvider cls = classOf(t.config());
                if (!cls.logsRecords() && last > t.reserved) {
                    // unlogged records vanish in a crash; their seqs must not be handed out again
                    long upTo = last + RESERVE_BLOCK;
                    awaitReservation(journal.mark(Journal.Mark.RESERVE_HEAD, t.id, upTo, now));
                    t.reserved = upTo;
                }
                ByteBuffer payload = cls.logsRecords() ? Codec.records(batch) : null;
                if (payload != null && !journal.hasRoom(t.id, payload.remaining(), cls.ackPoint())) {
                    if (batch.disableBackpressure() && System.nanoTime() < roomDeadline) {
                        continue; // wait again, outside the lock
                    }
                    // the WAL is behind: shed load now rather than queue without bound
                    throttled.increment();
                    throw new TopicsException(ErrorCode.THROTTLED, "the write-ahead log is behind; retry shortly",
                            Map.of("limit", "wal_queue", "retry_after_ms", RETRY_AFTER_MS));
                }
                if (cls.logsRecords() && cls.ackPoint() != AckPoint.FORCED) {
                    reserveTail(t, last, now);
                }
                // the lsn is read before the frame is queued: a lower bound
                Filled filled = fill(t, batch, now, journal.nextLsn(), payload != null);
                TopicLog.Removal evicted = filled.evicted();
                long lowAfter = t.log.low();
                if (payload != null) {
                    t.loggedThrough = last;
                } else {
                    t.unloggedThrough = last;
                }
                long bytes = batch.payloadBytes();
                int count = batch.size();
                Topic target = t;
                Runnable publish = () -> {
                    target.log.publish(last, bytes, filled.live(), evicted, lowAfter);
                    totalBytes.add(filled.live().bytes() - evicted.bytes());
                    memoryBytes.add(bytes);
                    appendedRecords.add(count);
                    evictedRecords.add(evicted.count());
                    target.signal.fire();
                    Checkpoints c = checkpoints;
                    if (c != null) {
                        c.published(target);
                    }
                };
                if (payload == null) {
                    publish.run();
                    committed = null;
                } else {
                    // the WAL completes a topic's frames in order, so publishes stay in seq order
                    committed = journal.append(t.id, first, now, payload, cls.ackPoint()).thenRun(publish);
                }
                t.wrote(now);
                if (key != null) {
                    t.idempotency().remember(key, first, count, now + t.config().idempotencyWindowMs());
                }
                result = new AppendResult(name, first, last, last, count, created, false);
            } finally {
                if (t.lock.isHeldByCurrentThread()) { // an idempotent retry let go of it early
                    t.lock.unlock();
                }
            }
            if (committed != null) {
                awaitAck(committed);
            }
            return result;
        }
    }

    /**
     * Reads after {@code q.fromSeq()} (spec §6), writing the records as comma-separated JSON
     * objects into {@code out}. With {@code waitMs > 0} and nothing to return, waits for an
     * append (or a delete of the topic) for up to that long, then reads once more.
     */
    public DiffResult diff(String name, DiffQuery q, JsonOut out) throws InterruptedException {
        Topic t = require(name);
        t.touched(clock.millis());
        expire(t, clock.millis());
        int mark = out.size();
        DiffResult r = t.read(q, out);
        if (q.waitMs() <= 0 || r.records() > 0 || r.tombstone() != null || !r.caughtUp()) {
            return r;
        }
        CompletableFuture<Void> appended = new CompletableFuture<>();
        t.signal.listen(appended);
        try {
            if (t.log.head() == r.headSeq() && !t.retired()) {
                appended.get(q.waitMs(), TimeUnit.MILLISECONDS);
            }
        } catch (TimeoutException e) {
            return r;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } finally {
            t.signal.unlisten(appended);
        }
        out.truncate(mark);
        Topic now = require(name);
        now.touched(clock.millis());
        expire(now, clock.millis());
        return now.read(q.withWait(0), out);
    }

    /**
     * Completes {@code wake} at every append to the topic, and at its deletion, until
     * {@link #unlisten}: listen, then check the topic, then wait (the order that loses no
     * wakeup). For watch streams.
     *
     * @return what ends the listening: close it when the wait ends, on every path
     * @throws TopicsException {@code 404 topic_not_found}
     */
    public Listening listen(String name, CompletableFuture<Void> wake) {
        Topic t = require(name);
        t.signal.listen(wake);
        return () -> t.signal.unlisten(wake);
    }

    /** A {@link #listen} in force. */
    public interface Listening extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * The topic's read version (see {@code TopicLog.version}): equal before and after a read
     * means that read is what any read with the same query returns until it moves.
     *
     * @throws TopicsException {@code 404 topic_not_found}
     */
    public long readVersion(String name) {
        Topic t = require(name);
        expire(t, clock.millis()); // as every read does: a version never stands for records the TTL took
        return t.log.version();
    }

    /** Topic state (spec §4.2); {@code touch} bumps the auto-priority recency clock. */
    public TopicInfo state(String name, boolean touch) {
        Topic t = require(name);
        long now = clock.millis();
        if (touch) {
            t.touched(now);
        }
        expire(t, now);
        return t.info(now);
    }

    /** One page of topics sorted by name, after {@code after} (exclusive), matching {@code prefix}. */
    public ListPage list(String prefix, String after, int pageSize, boolean touch) {
        String p = prefix == null ? "" : prefix;
        String start = after != null && after.compareTo(p) >= 0 ? after : p;
        boolean inclusive = after == null || after.compareTo(p) < 0;
        long now = clock.millis();
        List<TopicInfo> page = new ArrayList<>(Math.min(pageSize, 128));
        String last = null;
        for (Topic t : topics.tailMap(start, inclusive).values()) {
            if (!t.name.startsWith(p)) {
                break;
            }
            if (page.size() == pageSize) {
                return new ListPage(page, last);
            }
            if (touch) {
                t.touched(now);
            }
            if (!t.pending) {
                expire(t, now);
            }
            page.add(t.info(now));
            last = t.name;
        }
        return new ListPage(page, null);
    }

    /**
     * Permanently removes the records {@code sel} picks among those published now (spec §8):
     * point-in-time, silent, immediate for every reader, and durable per the topic's class.
     *
     * @throws TopicsException {@code 404 topic_not_found}; a delete never creates
     */
    public DeleteResult deleteRecords(String name, DeleteSelector sel) {
        while (true) {
            Topic t = require(name);
            t.lock.lock();
            try {
                if (t.retired()) {
                    continue;
                }
                refuseIfPending(t);
                refuseIfJournalFailed();
                // point in time: every record written before this call, and nothing after it
                awaitPublished(t, t.log.filled(), "in-flight writes");
                long bound = t.log.head() + 1;
                if (sel.beforeSeq() > 0) {
                    bound = Math.min(bound, sel.beforeSeq());
                }
                DurabilityClassProvider cls = classOf(t.config());
                if (cls.logsRecords() || t.loggedThrough >= t.log.earliest()) {
                    // also for an unlogged class while logged records remain: replay would bring them back
                    journalTtlFloor(t); // replay runs this delete before it judges TTL again
                    commit(journal.recordsDeleted(t.id, clock.millis(), Codec.delete(bound, sel),
                            cls.logsRecords() ? cls.ackPoint() : AckPoint.FORCED));
                }
                TopicLog.Removal r = applyDelete(t, bound, sel);
                return new DeleteResult(name, r.count(), t.log.earliest(), t.log.head(), t.log.count(), t.log.bytes());
            } finally {
                t.lock.unlock();
            }
        }
    }

    /** Deletes what {@code sel} selects below {@code bound}, all published. Caller holds the topic lock. */
    private TopicLog.Removal applyDelete(Topic t, long bound, DeleteSelector sel) {
        TopicLog.Removal r;
        try {
            if (sel.tag() == null) {
                r = t.log.deleteBelow(bound);
            } else {
                long[] seqs = taggedSeqs(t, sel.tag(), sel.tagPrefix(), bound);
                r = t.log.deleteSeqs(seqs, seqs.length);
            }
        } catch (IOException e) {
            throw segmentUnreadable(t, e);
        }
        released(r);
        count(t, deletedRecords, r);
        return r;
    }

    /** Counts a removal for metrics, unless replay is redoing one counted before the restart. */
    private void count(Topic t, LongAdder counter, TopicLog.Removal r) {
        if (replaying == null && !t.pending) {
            counter.add(r.count());
        }
    }

    /**
     * The records below {@code bound} whose tag matches, as pairs for {@link TopicLog#deleteSeqs}:
     * seq, then payload bytes. Sealed ones come with their sizes from each segment's tag section
     * (a segment that cannot hold the tag answers from memory), those in memory from their
     * chunk. A seq both sealed and still in memory shows twice: deleteSeqs counts it once.
     */
    private static long[] taggedSeqs(Topic t, String tag, boolean prefix, long bound) throws IOException {
        long[][] found = {new long[32]};
        int[] n = {0};
        Segment.TaggedConsumer add = (seq, size) -> {
            if (n[0] == found[0].length) {
                found[0] = java.util.Arrays.copyOf(found[0], n[0] * 2);
            }
            found[0][n[0]++] = seq;
            found[0][n[0]++] = size;
        };
        long from = t.log.earliest();
        for (Segment s : t.log.segments()) {
            if (s.info().lastSeq() >= from && s.info().firstSeq() < bound) {
                s.forEachTagged(tag, prefix, bound, add);
            }
        }
        t.log.forEachHotTag(from, bound, (seq, tg, size) -> {
            if (prefix ? tg.startsWith(tag) : tg.equals(tag)) {
                add.accept(seq, size);
            }
        });
        return java.util.Arrays.copyOf(found[0], n[0]);
    }

    /**
     * Fills a batch's slots and evicts what its topic's caps no longer allow. The eviction
     * reaches readers with the batch's publish. Caller holds the topic lock.
     */
    private Filled fill(Topic t, WriteBatch batch, long ts, long lsn, boolean logged) {
        TopicConfig c = t.config();
        if (c.discard() != TopicConfig.Discard.OLD || (c.capRecords() <= 0 && c.capBytes() <= 0)) {
            return new Filled(t.log.fill(batch, ts, lsn), TopicLog.Removal.NONE);
        }
        try {
            // what is there first: the one step that may read segments, and it changes nothing if it fails
            long lowBefore = t.log.low();
            TopicLog.Removal evicted = t.log.evict(c.capRecords(), c.capBytes(), batch.size(), batch.payloadBytes());
            journalCapFloor(t, evicted, lowBefore, ts, !logged);
            TopicLog.Counted live = t.log.fill(batch, ts, lsn);
            // a batch larger than a cap: its own first records, in memory
            evicted = evicted.plus(t.log.evict(c.capRecords(), c.capBytes(), 0, 0));
            memoryBytes.add(-evicted.releasedMemory());
            return new Filled(live, evicted);
        } catch (IOException e) {
            throw segmentUnreadable(t, e);
        }
    }

    /** What a fill counted as live, and what it evicted: both reach readers with the batch's publish. */
    private record Filled(TopicLog.Counted live, TopicLog.Removal evicted) {
    }

    /**
     * Journals a cap eviction that replay could not decide again: replay counts only logged
     * records, so while unlogged records were live (or an unlogged write evicts logged ones) it
     * would evict less. Caller holds the topic lock.
     */
    private void journalCapFloor(Topic t, TopicLog.Removal evicted, long lowBefore, long ts, boolean unloggedWrite) {
        if (evicted.count() > 0 && lowBefore <= t.loggedThrough && (unloggedWrite || t.unloggedThrough >= lowBefore)) {
            commit(journal.mark(Journal.Mark.CAP_FLOOR, t.id, evicted.lastSeq(), ts));
        }
    }

    /** Journals the TTL floor when it moved since the last one journaled. Caller holds the topic lock. */
    private void journalTtlFloor(Topic t) {
        long through = t.log.ttlThrough();
        if (through > t.journaledTtl) {
            commit(journal.mark(Journal.Mark.TTL_FLOOR, t.id, through, clock.millis()));
            t.journaledTtl = through;
        }
    }

    /** Applies a new config: tighter caps and TTL take effect at once. Caller holds the lock, nothing in flight. */
    private void configure(Topic t, TopicConfig next, long now) {
        t.config(next);
        try {
            if (next.discard() == TopicConfig.Discard.OLD) {
                long lowBefore = t.log.low();
                TopicLog.Removal r = t.log.evict(next.capRecords(), next.capBytes(), 0, 0);
                if (replaying == null && !t.pending) {
                    journalCapFloor(t, r, lowBefore, now, false);
                }
                t.log.evicted(r);
                released(r);
                count(t, evictedRecords, r);
            }
            expireLocked(t, now);
        } catch (IOException e) {
            throw segmentUnreadable(t, e);
        }
    }

    /**
     * Expires the records of {@code t} older than its TTL (spec §2: {@code now - ts > ttl_ms}),
     * taking the topic lock only when the oldest live record may have expired.
     */
    private void expire(Topic t, long now) {
        long ttl = t.config().ttlMs();
        if (ttl <= 0 || t.pending || !t.log.mayHaveExpired(now - ttl)) {
            return;
        }
        t.lock.lock();
        try {
            if (t.retired() || t.pending || journal.refusing()) {
                return; // a failed journal: no state changes, reads go on as they are
            }
            if (t.log.evictionInFlight()) {
                // expiry reaches readers at once; a batch's eviction only with its commit, which comes first
                awaitPublished(t, t.log.filled(), "in-flight writes");
            }
            expireLocked(t, now);
        } catch (IOException e) {
            throw segmentUnreadable(t, e);
        } catch (TopicsException e) {
            // the in-flight commit failed: the journal refuses from now on, and reads are unaffected
        } finally {
            t.lock.unlock();
        }
    }

    private void expireLocked(Topic t, long now) throws IOException {
        long ttl = t.config().ttlMs();
        if (ttl > 0) {
            TopicLog.Removal r = t.log.expire(now - ttl);
            released(r);
            count(t, expiredRecords, r);
        }
    }

    /** Whether {@code next} keeps records longer than {@code current} would: a TTL raised or turned off. */
    private static boolean longerTtl(TopicConfig current, TopicConfig next) {
        return current.ttlMs() > 0 && (next.ttlMs() == 0 || next.ttlMs() > current.ttlMs());
    }

    /** Replays a TTL or cap floor frame. */
    private void removeThrough(Topic t, Frame f) {
        boolean ttl = f.type() == FrameType.TTL_FLOOR;
        try {
            released(t.log.removeThrough(f.seq(), ttl));
        } catch (IOException e) {
            throw segmentUnreadable(t, e);
        }
        if (ttl) {
            t.journaledTtl = Math.max(t.journaledTtl, f.seq());
        }
    }

    /** Runs TTL expiry on every topic: the background sweep, so counts and memory follow time without reads. */
    void expireAll() {
        long now = clock.millis();
        for (Topic t : topics.values()) {
            try {
                expire(t, now);
            } catch (TopicsException e) {
                // a damaged segment is said by the reads that reach it; the sweep goes on
            }
        }
    }

    /** Takes a removal readers already see off the engine's totals. */
    private void released(TopicLog.Removal r) {
        totalBytes.add(-r.bytes());
        memoryBytes.add(-r.releasedMemory());
    }

    /** {@code 422 topic_full} for a {@code discard:"reject"} topic the batch would take past a cap (spec §5). */
    private static void refuseIfFull(Topic t, WriteBatch batch) {
        TopicConfig c = t.config();
        if (c.discard() != TopicConfig.Discard.REJECT || (c.capRecords() <= 0 && c.capBytes() <= 0)) {
            return;
        }
        boolean records = c.capRecords() > 0 && batch.size() > c.capRecords();
        boolean bytes = c.capBytes() > 0 && batch.payloadBytes() > c.capBytes();
        if (records || bytes) {
            throw new TopicsException(ErrorCode.RECORD_TOO_LARGE, "the batch alone is larger than topic \""
                    + t.name + "\"'s cap", Map.of("topic", t.name, "cap_records", c.capRecords(),
                    "cap_bytes", c.capBytes()));
        }
        if ((c.capRecords() > 0 && t.log.writerCount() + batch.size() > c.capRecords())
                || (c.capBytes() > 0 && t.log.writerBytes() + batch.payloadBytes() > c.capBytes())) {
            throw new TopicsException(ErrorCode.TOPIC_FULL, "topic \"" + t.name + "\" is full",
                    Map.of("topic", t.name, "cap_records", c.capRecords(), "cap_bytes", c.capBytes(),
                            "head_seq", t.log.head(), "earliest_seq", t.log.earliest()));
        }
    }

    static TopicsException segmentUnreadable(Topic t, IOException e) {
        // corruption is said, never served as a shorter log (reliability invariant 6)
        return new TopicsException(ErrorCode.INTERNAL, "topic \"" + t.name + "\": a sealed segment cannot be read: "
                + e.getMessage(), Map.of("reason", "segment_unreadable", "topic", t.name));
    }

    /**
     * Deletes a topic with its records and dedupe state (spec §4.4). Returns whether a topic
     * was deleted; an absent topic is not an error.
     *
     * @throws TopicsException {@code 409 topic_not_empty} when {@code ifEmpty} and records remain
     */
    public boolean deleteTopic(String name, boolean ifEmpty) {
        Names.requireTopicName(name);
        registryLock.lock();
        try {
            Topic t = topics.get(name);
            if (t == null) {
                return false;
            }
            t.lock.lock();
            try {
                refuseIfPending(t);
                awaitPublished(t, t.log.filled(), "in-flight writes"); // their bytes are counted, then taken off
                long count = t.log.count();
                if (ifEmpty && count > 0) {
                    throw new TopicsException(ErrorCode.TOPIC_NOT_EMPTY,
                            "topic \"" + name + "\" holds " + count + " records", Map.of("topic", name, "count", count));
                }
                refuseIfJournalFailed();
                commit(journal.topicDeleted(t.id, clock.millis()));
                topics.remove(name);
                topicCount--;
                totalBytes.add(-t.log.bytes());
                memoryBytes.add(-t.log.memoryBytes());
                t.retire();
                Checkpoints c = checkpoints;
                if (c != null) {
                    c.retired(t.id);
                }
                return true;
            } finally {
                t.lock.unlock();
            }
        } finally {
            registryLock.unlock();
        }
    }

    /**
     * Applies one journal frame during recovery, before the engine serves. Frames come in
     * global lsn order. Appends the engine already holds (a seq at or below the topic's head)
     * are skipped, so replaying twice gives the same state.
     */
    public void replay(Frame f) {
        if (replaying == null) {
            replaying = new HashMap<>();
            for (Topic t : topics.values()) {
                replaying.put(t.id, t);
            }
        }
        topicIds.accumulateAndGet(f.topicId(), Math::max);
        if (f.lsn() < replayFrom || (f.lsn() < snapshotLsn && f.type() != FrameType.APPEND)) {
            return; // the snapshot holds this change already
        }
        Topic t = replaying.get(f.topicId());
        switch (f.type()) {
            case TOPIC_CREATE -> {
                if (t == null) {
                    String name = Codec.createName(f.payload());
                    Topic old = topics.get(name);
                    if (old != null) {
                        replaying.remove(old.id); // its delete frame was lost with a torn tail
                        topicCount--;
                    }
                    Topic created = new Topic(name, f.topicId(), Codec.createConfig(f.payload()));
                    topics.put(name, created);
                    replaying.put(f.topicId(), created);
                    topicCount++;
                }
            }
            case TOPIC_CONFIG -> {
                if (t != null && t.pending) {
                    t.config(Codec.config(f.payload())); // its caps apply when its records are back
                } else if (t != null) {
                    configure(t, Codec.config(f.payload()), f.ts()); // TTL as judged then; later reads judge it again
                }
            }
            case TTL_FLOOR, CAP_FLOOR -> {
                if (t != null && !t.pending) {
                    removeThrough(t, f);
                }
            }
            case DELETE -> {
                if (t != null && !t.pending) {
                    applyDelete(t, Codec.deleteBound(f.payload()), Codec.deleteSelector(f.payload()));
                }
            }
            case TOPIC_DELETE -> {
                if (t != null && topics.remove(t.name, t)) {
                    topicCount--;
                    totalBytes.add(-t.log.bytes());
                    memoryBytes.add(-t.log.memoryBytes());
                    replaying.remove(f.topicId());
                }
            }
            case RESERVE_HEAD -> {
                if (t != null) {
                    t.reserved = Math.max(t.reserved, f.seq());
                }
            }
            case RESERVE_TAIL -> {
                if (t != null) {
                    t.tailReserved = Math.max(t.tailReserved, f.seq());
                }
            }
            case TAIL_SETTLED -> {
                if (t != null) {
                    t.tailReserved = f.seq();
                }
            }
            case LOST_RANGE -> {
                if (t != null && !t.pending) {
                    t.log.loseRange(Codec.lostFrom(f.payload()), f.seq());
                }
            }
            case APPEND -> {
                if (t == null) {
                    return;
                }
                if (deferBestEffort && (t.pending || bestEffort(t.config()))) {
                    // best-effort records never hold up readiness: this topic finishes after ready,
                    // in order, so all its later appends wait with it
                    if (!t.pending) {
                        t.pending = true;
                        t.pendingFrom = f.lsn();
                        t.pendingConfig = t.config();
                    }
                    return;
                }
                applyAppend(t, f, replayProblems);
            }
        }
    }

    /** Appends a replayed frame's records to {@code t}, unless it holds them already. */
    private void applyAppend(Topic t, Frame f, List<String> problems) {
        if (f.seq() > t.log.filled()) {
            // a jump within the reserved seqs is what an unlogged class handed out before a
            // switch to a logged one; any other jump is log that is missing, and is said
            long expected = Math.max(Math.max(Math.max(t.log.filled(), t.reserved), t.log.low() - 1),
                    Math.min(t.log.lastHoleEnd(), f.seq() - 1)) + 1;
            if (f.seq() > expected) {
                problems.add("topic \"" + t.name + "\": seqs " + expected + ".." + (f.seq() - 1)
                        + " are missing from the WAL");
            }
            t.log.skipTo(f.seq());
            WriteBatch b = Codec.records(f.payload());
            Filled filled = fill(t, b, f.ts(), f.lsn(), true);
            TopicLog.Removal evicted = filled.evicted();
            t.log.publish(t.log.filled(), b.payloadBytes(), filled.live(), evicted, t.log.low());
            t.loggedThrough = t.log.filled();
            t.wrote(f.ts());
            totalBytes.add(filled.live().bytes() - evicted.bytes());
            memoryBytes.add(b.payloadBytes());
        } else if (f.seq() + Codec.recordCount(f.payload()) - 1 > t.log.filled()) {
            // seals end on batch boundaries, so a frame is either sealed whole or not at all
            throw new IllegalStateException("WAL frame at lsn " + f.lsn() + " (topic " + t.name + ", seq "
                    + f.seq() + ") straddles the sealed seq " + t.log.filled());
        }
    }

    /** A class whose writes are acknowledged before they are written: its recovery may not hold up readiness. */
    private boolean bestEffort(TopicConfig c) {
        DurabilityClassProvider p = classOf(c);
        return p.logsRecords() && p.ackPoint() == AckPoint.ENQUEUED;
    }

    /**
     * Asks {@link #replay} to set aside the records of best-effort ({@code memory}) topics, so
     * recovery can answer ready before they are back: such a topic answers {@code 503} until
     * {@link #replayDeferred} and {@link #deferredDone} have brought it back. Call first.
     */
    public void deferBestEffortReplay() {
        deferBestEffort = true;
    }

    /** The lowest lsn the deferred replay must read from; {@code Long.MAX_VALUE} when nothing was set aside. */
    public long deferredFrom() {
        long from = Long.MAX_VALUE;
        for (Topic t : pendingById.values()) {
            from = Math.min(from, t.pendingFrom);
        }
        return from;
    }

    /** The deferred replay, after ready: applies a frame set aside for a topic that waits for it. */
    public void replayDeferred(Frame f) {
        Topic t = pendingById.get(f.topicId());
        if (t == null || f.lsn() < t.pendingFrom || (f.type() != FrameType.APPEND && f.lsn() < deferredSnapshotLsn)) {
            return;
        }
        t.lock.lock();
        try {
            if (t.retired()) {
                return;
            }
            if (t.pendingConfig != null) {
                t.config(t.pendingConfig); // the config frames after it come again, in order
                t.pendingConfig = null;
            }
            // the topic's own changes, in their order: deletes and caps see the records they saw
            switch (f.type()) {
                case APPEND -> applyAppend(t, f, deferredProblems);
                case DELETE -> applyDelete(t, Codec.deleteBound(f.payload()), Codec.deleteSelector(f.payload()));
                case TTL_FLOOR, CAP_FLOOR -> removeThrough(t, f);
                case LOST_RANGE -> t.log.loseRange(Codec.lostFrom(f.payload()), f.seq());
                case TOPIC_CONFIG -> configure(t, Codec.config(f.payload()), f.ts());
                default -> {
                }
            }
        } finally {
            t.lock.unlock();
        }
    }

    /** Ends the deferred replay: the waiting topics continue above their seqs and serve again. Returns what was missing. */
    public List<String> deferredDone() {
        for (Topic t : pendingById.values()) {
            t.lock.lock();
            try {
                long lostFrom = loseTailIfCrashed(t);
                if (lostFrom > 0) {
                    commit(journal.lostRange(t.id, lostFrom, t.log.head(), clock.millis()));
                }
                t.log.skipTo(continueAt(t));
                t.pending = false;
                t.signal.fire();
            } finally {
                t.lock.unlock();
            }
        }
        pendingById.clear();
        List<String> problems = List.copyOf(deferredProblems);
        deferredProblems.clear();
        return problems;
    }

    /**
     * After an unclean stop, the seqs a topic reserved for writes a crash can lose may hold such
     * writes, acknowledged and gone: a {@code memory} topic's whenever the process died, a
     * {@code disk} topic's only when the machine restarted too (a power loss; a killed process
     * left every written byte with the OS). Those seqs become a lost tail, reported as a
     * tombstone and never handed out again. Returns the first lost seq, 0 when none. Recovery only.
     */
    private long loseTailIfCrashed(Topic t) {
        DurabilityClassProvider cls = classOf(t.config());
        boolean mayHaveLost = cls.logsRecords() && (cls.ackPoint() == AckPoint.ENQUEUED
                || (cls.ackPoint() == AckPoint.WRITTEN && !sameBoot));
        long from = Math.max(t.log.head(), t.log.lastHoleEnd()) + 1;
        if (!mayHaveLost || t.tailReserved < from) {
            return 0;
        }
        t.log.loseRange(from, t.tailReserved);
        return from;
    }

    /** Journals the lost tails recovery found, once the journal is open: a later recovery finds them there. */
    public void journalLostTails() {
        for (long[] l : lostTails) {
            commit(journal.lostRange(l[0], l[1], l[2], clock.millis()));
        }
        lostTails.clear();
    }

    /**
     * A clean stop, before its final snapshot: nothing in flight was lost, so no reserved seq
     * stands for a lost write. The next start continues right after the head.
     */
    void settleTails() {
        for (Topic t : topics.values()) {
            t.lock.lock();
            try {
                if (!t.pending && !t.retired() && (t.tailReserved > t.log.head() || t.tailRequested != null)) {
                    awaitPublished(t, t.log.filled(), "in-flight writes");
                    settleTail(t);
                    // journaled too: the final snapshot may not come (a failed seal, a replay still running)
                    commit(journal.mark(Journal.Mark.TAIL_SETTLED, t.id, t.tailReserved, clock.millis()));
                }
            } finally {
                t.lock.unlock();
            }
        }
    }

    /**
     * Where a recovered topic's next seq goes: above every seq it handed out that recovery knows
     * of, the reserved ones and those the snapshot counts as gone (whose frames may be gone too).
     */
    private static long continueAt(Topic t) {
        return Math.max(Math.max(Math.max(t.reserved, t.log.head()), t.log.low() - 1), t.log.lastHoleEnd()) + 1;
    }

    /**
     * Makes sure the seqs up to {@code last} are covered by a durable tail reservation before
     * they are handed out, and asks for the next block once half of this one is used, so a
     * write seldom waits for a reservation's force. Caller holds the topic lock.
     */
    private void reserveTail(Topic t, long last, long now) {
        // bounded waits: a reservation that lands after its writer gave up only reserves more seqs
        if (last > t.tailReserved && t.tailRequested != null) {
            awaitReservation(t.tailRequested); // the next block was asked for: usually forced long ago
            t.tailReserved = t.tailRequestedUpTo;
            t.tailRequested = null;
        }
        if (last > t.tailReserved) {
            long upTo = last + TAIL_BLOCK;
            awaitReservation(journal.mark(Journal.Mark.RESERVE_TAIL, t.id, upTo, now));
            t.tailReserved = upTo;
        }
        if (t.tailRequested == null && last > t.tailReserved - TAIL_BLOCK / 2) {
            t.tailRequestedUpTo = t.tailReserved + TAIL_BLOCK;
            t.tailRequested = journal.mark(Journal.Mark.RESERVE_TAIL, t.id, t.tailRequestedUpTo, now);
        }
    }

    /** No reserved seq stands for a lost write any more: the next start continues after the head. */
    private static void settleTail(Topic t) {
        if (t.tailRequested != null) {
            t.tailRequested.exceptionally(e -> null).join(); // a later frame must not raise it again
            t.tailRequested = null;
        }
        t.tailReserved = t.log.head();
    }

    /**
     * Ends recovery: unlogged topics continue above their reserved seqs. Returns what the
     * replay found missing, one line each (empty when the log was whole).
     */
    public List<String> recovered(boolean sameBoot) {
        this.sameBoot = sameBoot;
        for (Topic t : topics.values()) {
            if (t.pending) {
                pendingById.put(t.id, t); // waits for replayDeferred: its seqs are not known yet
                continue;
            }
            long lostFrom = loseTailIfCrashed(t);
            if (lostFrom > 0) {
                lostTails.add(new long[] {t.id, lostFrom, t.log.head()});
            }
            t.log.skipTo(continueAt(t));
        }
        deferBestEffort = false;
        deferredSnapshotLsn = snapshotLsn;
        replaying = null;
        replayFrom = Long.MIN_VALUE;
        snapshotLsn = Long.MIN_VALUE;
        List<String> problems = List.copyOf(replayProblems);
        replayProblems.clear();
        return problems;
    }

    /**
     * Recovery step one, before any {@link #replay}: the state a snapshot taken at
     * {@code lsn} holds. {@code segments} opens a topic's sealed segments.
     */
    void restore(EngineSnapshot snap, long lsn, Function<EngineSnapshot.TopicState, Segment[]> segments) {
        if (!topics.isEmpty() || replaying != null) {
            throw new IllegalStateException("restore runs first, on an empty engine");
        }
        topicIds.accumulateAndGet(snap.lastTopicId(), Math::max);
        for (EngineSnapshot.TopicState s : snap.topics()) {
            Topic t = new Topic(s.name(), s.id(), s.config());
            t.log.restore(segments.apply(s), s.sealedThrough(), s.retained());
            t.journaledTtl = s.retained().ttlThrough();
            t.tailReserved = s.tailReserved();
            t.reserved = s.reserved();
            t.loggedThrough = s.sealedThrough();
            if (s.lastWriteTs() != Topic.NEVER) {
                t.wrote(s.lastWriteTs());
            }
            topics.put(s.name(), t);
            topicCount++;
            totalBytes.add(t.log.bytes());
        }
        replayFrom = snap.replayFrom();
        snapshotLsn = lsn;
    }

    /**
     * The state as of the journal position this returns with, for a snapshot. Creates and
     * deletes hold the registry lock from their frame to their effect, so the topic list copied
     * under it holds every one journaled below that position; config changes and reservations
     * hold their topic's lock likewise, and each topic is read under it. Later changes may be
     * in the state too, which replay tolerates. The registry lock is held only for the copy.
     */
    Captured capture() {
        long lsn;
        List<Topic> live;
        registryLock.lock();
        try {
            lsn = journal.nextLsn();
            live = new ArrayList<>(topics.values());
        } finally {
            registryLock.unlock();
        }
        long replay = lsn;
        List<EngineSnapshot.TopicState> states = new ArrayList<>(live.size());
        for (Topic t : live) {
            t.lock.lock();
            try {
                if (t.retired()) {
                    continue; // deleted after lsn: its delete frame is replayed
                }
                // a batch in flight may have evicted: its eviction belongs in no snapshot before it commits
                awaitPublished(t, t.log.filled(), "in-flight writes");
                List<SegmentInfo> segs = new ArrayList<>();
                for (Segment seg : t.log.segments()) {
                    segs.add(seg.info());
                }
                replay = Math.min(replay, t.log.unsealedMinLsn(t.loggedThrough));
                if (t.pending) {
                    replay = Math.min(replay, t.pendingFrom); // its records are still only in the WAL
                }
                states.add(new EngineSnapshot.TopicState(t.id, t.name, t.config(), t.log.sealedThrough(),
                        t.reserved, t.lastWriteTs(), segs, t.log.retained(), t.tailReserved));
            } finally {
                t.lock.unlock();
            }
        }
        return new Captured(lsn, new EngineSnapshot(replay, topicIds.get(), states));
    }

    /** A snapshot's state and the journal position it was taken at. */
    record Captured(long lsn, EngineSnapshot state) {
    }

    /** The live topic instances, for checkpoints. */
    Iterable<Topic> topics() {
        return topics.values();
    }

    /** Attaches the checkpoints that seal this engine's records; once, before it serves. */
    void checkpoints(Checkpoints c) {
        this.checkpoints = c;
    }

    /** Seals released {@code bytes} from memory. */
    void releasedMemory(long bytes) {
        memoryBytes.add(-bytes);
    }

    /** The checkpoints' counters, or null for an engine without them. */
    public Checkpoints.Stats checkpointStats() {
        Checkpoints c = checkpoints;
        return c == null ? null : c.stats();
    }

    /** Topics still waiting for their deferred replay (0 once it is done; stays above 0 if it failed). */
    public int replayingTopics() {
        return pendingById.size();
    }

    /** Payload bytes held in memory now. */
    public long memoryBytes() {
        return memoryBytes.sum();
    }

    /** Process-wide figures for health and metrics; walks every topic. */
    public Stats stats(int maxPerTopic) {
        return stats(maxPerTopic, name -> true);
    }

    /** The figures, with per-topic series for at most {@code maxPerTopic} of the topics {@code shown} accepts. */
    public Stats stats(int maxPerTopic, java.util.function.Predicate<String> shown) {
        long now = clock.millis();
        long records = 0;
        Map<String, Long> byClass = new java.util.TreeMap<>();
        for (String c : classes.keySet()) {
            byClass.put(c, 0L);
        }
        List<TopicInfo> perTopic = new ArrayList<>();
        boolean truncated = false;
        int n = 0;
        for (Topic t : topics.values()) {
            n++;
            records += t.log.count();
            byClass.merge(t.config().durability(), 1L, Long::sum);
            if (!shown.test(t.name)) {
                continue;
            }
            if (perTopic.size() < maxPerTopic) {
                perTopic.add(t.info(now));
            } else {
                truncated = true;
            }
        }
        return new Stats(n, byClass, records, totalBytes.sum(), appendedRecords.sum(), evictedRecords.sum(),
                expiredRecords.sum(), deletedRecords.sum(), perTopic, truncated);
    }

    /** The figures {@link #stats} reports. */
    public record Stats(int topics, Map<String, Long> topicsByClass, long recordsLive, long bytesLive,
                        long recordsAppended, long recordsEvicted, long recordsExpired, long recordsDeleted,
                        List<TopicInfo> perTopic, boolean perTopicTruncated) {
    }

    /** Whether a topic of that name exists now. */
    public boolean exists(String name) {
        return topics.containsKey(name);
    }

    public int topicCount() {
        return topicCount;
    }

    /** The names a topic config may use for {@code durability}. */
    public Set<String> durabilityClasses() {
        return classes.keySet();
    }

    private Topic require(String name) {
        Names.requireTopicName(name);
        Topic t = topics.get(name);
        if (t == null) {
            throw TopicsException.topicNotFound(name);
        }
        refuseIfPending(t);
        return t;
    }

    /** A topic whose best-effort records are still being replayed answers 503 until they are back. */
    private static void refuseIfPending(Topic t) {
        if (t.pending) {
            throw new TopicsException(ErrorCode.NOT_READY, "topic \"" + t.name + "\" is still replaying its log",
                    Map.of("reason", "topic_replaying", "topic", t.name, "retry_after_ms", RETRY_AFTER_MS));
        }
    }

    private record Created(Topic topic, boolean created) {
    }

    private Created create(String name, TopicConfig config) {
        registryLock.lock();
        try {
            Topic existing = topics.get(name);
            if (existing != null) {
                return new Created(existing, false);
            }
            if (limits.maxTopics() > 0 && topicCount >= limits.maxTopics()) {
                throw new TopicsException(ErrorCode.THROTTLED, "too many topics (max " + limits.maxTopics() + ")",
                        Map.of("limit", "max_topics", "max", limits.maxTopics()));
            }
            refuseIfJournalFailed();
            Topic t = new Topic(name, topicIds.incrementAndGet(), config);
            // config always survives, whatever the class: the create is forced before anyone uses the topic
            commit(journal.topicCreated(t.id, clock.millis(), Codec.create(name, config)));
            topics.put(name, t);
            topicCount++;
            return new Created(t, true);
        } finally {
            registryLock.unlock();
        }
    }

    private DurabilityClassProvider classOf(TopicConfig c) {
        DurabilityClassProvider p = classes.get(c.durability());
        if (p == null) {
            throw new IllegalStateException("durability class " + c.durability() + " is not loaded");
        }
        return p;
    }

    /** Waits for a journal commit; a failed one means the data directory refuses writes. */
    /**
     * A write waits for the disk at most {@code commitWaitMs} (spec §16.1: every request is
     * answered within 10 s). Past it the answer is 503 {@code storage_stalled}: the records stay
     * queued and are published if the disk comes back, so the outcome is unknown, and a retry
     * with the same idempotency key tells. Bounded so are the append's own ack (outside the
     * topic lock; its publish runs on the WAL's completion, not here) and the seq reservations
     * it may need first (a late one only reserves more seqs); not the commits whose engine
     * state changes after they return (topic creation and configuration, deletes).
     */
    private void awaitAck(CompletableFuture<Void> f) {
        awaitDisk(f, "the disk has not taken this write within " + limits.commitWaitMs()
                + " ms; it may still be committed: retry with the same idempotency key");
    }

    /** A seq reservation a write needs before it starts; past the wait the write was not started. */
    private void awaitReservation(CompletableFuture<Void> f) {
        awaitDisk(f, "the disk has not taken this topic's seq reservation within " + limits.commitWaitMs()
                + " ms; this write was not started");
    }

    private void awaitDisk(CompletableFuture<Void> f, String stalled) {
        try {
            f.get(limits.commitWaitMs() > 0 ? limits.commitWaitMs() : Long.MAX_VALUE, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw storageFailed(e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) {
            throw storageStalled(stalled);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw storageFailed(e);
        }
    }

    /** The topic's lock for a write, waited for as long as {@link #awaitAck} waits for the disk. */
    private void lockWithinCommitWait(Topic t) {
        if (limits.commitWaitMs() <= 0) {
            t.lock.lock();
            return;
        }
        try {
            if (!t.lock.tryLock(limits.commitWaitMs(), TimeUnit.MILLISECONDS)) {
                throw storageStalled("the topic's earlier writes have waited for the disk for " + limits.commitWaitMs()
                        + " ms; this one was not started");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw storageFailed(e);
        }
    }

    private static TopicsException storageStalled(String message) {
        return new TopicsException(ErrorCode.NOT_READY, message, Map.of("reason", "storage_stalled",
                "retry_after_ms", 1000));
    }

    private static void commit(CompletableFuture<Void> f) {
        try {
            f.join();
        } catch (CompletionException e) {
            throw storageFailed(e.getCause() == null ? e : e.getCause());
        }
    }

    private void refuseIfJournalFailed() {
        if (journal.refusing()) {
            throw storageFailed(null);
        }
    }

    private static TopicsException storageFailed(Throwable cause) {
        return new TopicsException(ErrorCode.NOT_READY, "the data directory failed"
                + (cause == null ? "" : " (" + cause.getMessage() + ")") + "; writes are refused until a restart",
                Map.of("reason", "storage_failed"));
    }

    /** Writes refused with 429 because the journal's queue was full. */
    public long throttledWrites() {
        return throttled.sum();
    }

    /** True once the journal failed: writes answer 503 until a restart. */
    public boolean refusingWrites() {
        return journal.refusing();
    }

    /**
     * For a client that disabled backpressure: waits (until {@code deadline}, never holding a
     * topic lock) until the journal can take about {@code bytes} more for the topic.
     */
    private void awaitRoom(Topic t, long bytes, long deadline) {
        AckPoint ack = classes.get(t.config().durability()).ackPoint();
        while (!journal.hasRoom(t.id, bytes, ack) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Waits until {@code seq} of {@code t} is published (bounded). A journal that failed
     * meanwhile means the write it belongs to was never committed: that is an error, never a
     * success. The caller may hold the topic lock: publishes do not take it.
     */
    private void awaitPublished(Topic t, long seq, String what) {
        if (!publishedWithin(t, seq, DRAIN_TIMEOUT_MS, what)) {
            throw storageFailed(new IOException(what + " did not commit"));
        }
    }

    /**
     * Whether the topic published up to {@code seq} within {@code timeoutMs} (0: no bound).
     *
     * @throws TopicsException 503 when the journal failed or the topic went away meanwhile
     */
    private boolean publishedWithin(Topic t, long seq, long timeoutMs, String what) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs > 0 ? timeoutMs : Long.MAX_VALUE / 4);
        while (t.log.head() < seq) {
            if (journal.refusing() || t.retired()) {
                throw storageFailed(new IOException(what + " did not commit"));
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw storageFailed(e);
            }
        }
        return true;
    }

    private void checkTotalBytes(long adding) {
        long max = limits.maxTotalBytes();
        if (max > 0 && totalBytes.sum() + adding > max) {
            throw new TopicsException(ErrorCode.THROTTLED, "the server holds its maximum of live bytes (" + max + ")",
                    Map.of("limit", "max_total_bytes", "max", max));
        }
        long memory = limits.maxMemoryBytes();
        if (memory > 0 && memoryBytes.sum() + adding > memory) {
            throttled.increment();
            Checkpoints c = checkpoints;
            if (c != null) {
                c.wake();
            }
            throw new TopicsException(ErrorCode.THROTTLED, "the server holds its maximum of unsealed bytes in memory ("
                    + memory + "); retry shortly", Map.of("limit", "memory", "max", memory, "retry_after_ms", RETRY_AFTER_MS));
        }
    }
}
