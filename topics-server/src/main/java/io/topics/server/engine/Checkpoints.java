package io.topics.server.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.topics.api.storage.Storage;
import io.topics.segments.Segment;
import io.topics.segments.SegmentWriter;
import io.topics.segments.SnapshotStore;

/**
 * Moves records from memory to disk and keeps recovery short. It seals runs of published
 * records into segment files ({@code segments/<topic id>/}), writes snapshots
 * ({@code snapshots/}) and deletes the WAL files a snapshot made redundant. The order on disk
 * is always: segment durable, then a snapshot naming it, then the WAL dropped. One background
 * thread does the work; tests call {@link #runOnce()} instead.
 *
 * <p>Two snapshots are kept, and the WAL is kept back to where the older one starts its replay,
 * so a damaged newest snapshot falls back to the older one without losing anything.
 */
public final class Checkpoints implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Checkpoints.class.getName());
    private static final long IDLE_ROUND_MS = 1_000;
    private static final long FAILURE_BACKOFF_MS = 1_000;

    private final Engine engine;
    private final Journal journal;
    private final Storage fs;
    private final Path dataDir;
    private final Path segmentsDir;
    private final SnapshotStore snapshots;
    private final CheckpointPolicy policy;
    private final InstantSource clock;
    private final ConcurrentLinkedQueue<Long> retired = new ConcurrentLinkedQueue<>();
    private final AtomicLong seals = new AtomicLong();
    private final AtomicLong snapshotsWritten = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile Thread thread;
    private volatile boolean stopping;
    // checkpoint thread only (or the caller of runOnce)
    private long lastSnapshotMs = Long.MIN_VALUE;
    /**
     * The valid snapshots on disk as {lsn, replayFrom, number}, oldest first: the WAL is kept
     * for the oldest. {@code number} counts the snapshots this run wrote (0: found at start).
     */
    private final Deque<long[]> kept = new ArrayDeque<>();
    /** Files of dropped segments, each with the snapshot number after which none of the kept snapshots names it. */
    private final List<Dropped> dropped = new ArrayList<>();

    private record Dropped(Path file, long afterSnapshot) {
    }

    public Checkpoints(Engine engine, Journal journal, Storage fs, Path dataDir, CheckpointPolicy policy,
                       InstantSource clock) {
        this.engine = engine;
        this.journal = journal;
        this.fs = fs;
        this.dataDir = dataDir;
        this.segmentsDir = dataDir.resolve("segments");
        this.snapshots = new SnapshotStore(fs, dataDir.resolve("snapshots"));
        this.policy = policy;
        this.clock = clock;
        engine.checkpoints(this);
    }

    /** What recovery found before the WAL replay. */
    public record Restored(long snapshotLsn, int topics, List<String> problems) {
    }

    /**
     * Recovery, step one: loads the newest valid snapshot into the (empty) engine. A damaged
     * snapshot is reported in {@link Restored#problems()} and an older one is used.
     * {@code snapshotLsn} is -1 when there is none.
     */
    public Restored restore() throws IOException {
        List<String> problems = new ArrayList<>();
        List<SnapshotStore.Loaded> valid = snapshots.loadAll(problems);
        if (valid.isEmpty()) {
            return new Restored(-1, 0, problems);
        }
        for (SnapshotStore.Loaded l : valid) {
            kept.add(new long[] {l.lsn(), EngineSnapshot.replayFromOf(l.payload()), 0});
        }
        SnapshotStore.Loaded l = valid.getLast();
        EngineSnapshot snap = EngineSnapshot.decode(l.payload());
        engine.restore(snap, l.lsn(), t -> {
            Path dir = topicDir(t.id());
            return t.segments().stream().map(info -> Segment.of(fs, dir, info)).toArray(Segment[]::new);
        });
        return new Restored(l.lsn(), snap.topics().size(), problems);
    }

    /** Where the newest snapshot on disk starts its replay: WAL files wholly below it need not be read. */
    public long replayFrom() {
        return kept.isEmpty() ? Long.MIN_VALUE : kept.getLast()[1];
    }

    /**
     * Recovery, last step (after the WAL replay and {@link Engine#recovered}): removes segment
     * files and directories no live topic refers to (seals a crash interrupted, topics deleted
     * before their files went) and checks every segment kept. A damaged segment is reported
     * here and fails the reads that reach it; it is never dropped quietly. Returns the problems.
     */
    public List<String> recovered() throws IOException {
        List<String> problems = new ArrayList<>();
        fs.createDirectories(segmentsDir);
        fs.forceDirectory(dataDir);
        Map<Long, Topic> live = new HashMap<>();
        for (Topic t : engine.topics()) {
            live.put(t.id, t);
        }
        boolean removedDirs = false;
        for (Path dir : fs.list(segmentsDir)) {
            long id = topicId(dir);
            Topic t = live.get(id);
            Set<Path> keep = new HashSet<>();
            if (t != null) {
                for (Segment s : t.log.segments()) {
                    keep.add(s.file());
                }
            }
            boolean removed = false;
            for (Path f : fs.list(dir)) {
                if (!keep.contains(f)) {
                    fs.delete(f);
                    removed = true;
                }
            }
            if (t == null && id >= 0) {
                fs.delete(dir);
                removedDirs = true;
                LOG.info(() -> "removed the segments of deleted topic id " + id);
            } else if (removed) {
                fs.forceDirectory(dir);
            }
        }
        if (removedDirs) {
            fs.forceDirectory(segmentsDir);
        }
        for (Topic t : live.values()) {
            for (Segment s : t.log.segments()) {
                try {
                    s.verify();
                } catch (IOException e) {
                    problems.add("topic \"" + t.name + "\": " + e.getMessage());
                }
            }
        }
        snapshots.removeTemporary();
        return problems;
    }

    /** Starts the background thread. */
    public void start() {
        Thread t = Thread.ofPlatform().name("topics-checkpoint").daemon().unstarted(this::loop);
        thread = t;
        t.start();
    }

    /** Asks the background thread for a round now. */
    void wake() {
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Called after a batch of {@code t} was published: wakes the thread when a seal is due. */
    void published(Topic t) {
        TopicLog log = t.log;
        if (log.unsealedCount() >= policy.segmentMaxEvents() || log.memoryBytes() >= policy.segmentMaxBytes()
                || (sealable(t) && engine.memoryBytes() > policy.memoryTailBytes())) {
            wake();
        }
    }

    /** A deleted topic: its segment directory goes in the next round. */
    void retired(long topicId) {
        retired.add(topicId);
        wake();
    }

    private void loop() {
        while (!stopping) {
            long pause = IDLE_ROUND_MS;
            try {
                runOnce();
            } catch (IOException | RuntimeException e) {
                failures.incrementAndGet();
                pause = FAILURE_BACKOFF_MS;
                LOG.log(Level.WARNING, "checkpoint failed; the WAL keeps everything, retrying", e);
            }
            if (!stopping) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(pause));
            }
        }
    }

    /**
     * One round: seals every tail that is due (by count, bytes or age), then the largest tails
     * while memory is over its budget (each topic at most once), removes deleted topics'
     * files, and writes a snapshot when the log moved and the interval passed.
     */
    public synchronized void runOnce() throws IOException {
        long now = clock.millis();
        IOException failed = null;
        for (Topic t : engine.topics()) {
            if (due(t, now)) {
                try {
                    seal(t);
                } catch (IOException e) {
                    failed = failed == null ? e : failed; // one topic's trouble must not stall the others
                }
            }
        }
        IOException memory = relieveMemory();
        failed = failed == null ? memory : failed;
        deleteRetired();
        engine.expireAll();
        boolean droppedSome = dropGoneSegments();
        long lastSnapshotLsn = kept.isEmpty() ? Long.MIN_VALUE : kept.getLast()[0];
        boolean waiting = !dropped.isEmpty() && dropped.getLast().afterSnapshot() > snapshotsWritten.get();
        if ((journal.nextLsn() > lastSnapshotLsn || droppedSome || waiting) && (lastSnapshotMs == Long.MIN_VALUE
                || now - lastSnapshotMs >= policy.snapshotIntervalMs())) {
            snapshot();
        }
        deleteDropped();
        if (failed != null) {
            throw failed; // after the snapshot, which holds every seal that did succeed
        }
    }

    /**
     * While memory is over its budget, seals the largest tails, each at most once: one pass,
     * so a round always ends and reaches its snapshot even while writes outpace the seals.
     * Returns the first failure, after trying the others.
     */
    private IOException relieveMemory() {
        if (engine.memoryBytes() <= policy.memoryTailBytes()) {
            return null;
        }
        List<Topic> tails = new ArrayList<>();
        for (Topic t : engine.topics()) {
            if (sealable(t)) {
                tails.add(t);
            }
        }
        tails.sort((a, b) -> Long.compare(b.log.memoryBytes(), a.log.memoryBytes()));
        IOException failed = null;
        for (Topic t : tails) {
            if (engine.memoryBytes() <= policy.memoryTailBytes()) {
                break;
            }
            try {
                seal(t);
            } catch (IOException e) {
                failed = failed == null ? e : failed;
            }
        }
        return failed;
    }

    /**
     * For replay, which refills memory from the WAL before any snapshot: seals the largest
     * tails when memory passes its budget, so recovery stays within it too. What it seals
     * becomes part of the next snapshot (or an orphan, replayed again, if a crash comes first).
     */
    public synchronized void relieveMemoryDuringReplay() throws IOException {
        IOException failed = relieveMemory();
        if (failed != null) {
            throw failed;
        }
    }

    /**
     * Seals every tail and writes a snapshot, so the next start replays almost nothing: the
     * final checkpoint of a clean shutdown.
     */
    public synchronized void checkpointAll() throws IOException {
        engine.settleTails(); // a clean stop lost nothing: the next start continues right after each head
        for (Topic t : engine.topics()) {
            if (sealable(t)) {
                seal(t);
            }
        }
        deleteRetired();
        snapshot();
    }

    /** Stops the thread, then writes the final checkpoint. */
    @Override
    public void close() throws IOException {
        stopping = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        checkpointAll();
    }

    /** Counters for metrics. */
    public record Stats(long seals, long snapshots, long failures) {
    }

    public Stats stats() {
        return new Stats(seals.get(), snapshotsWritten.get(), failures.get());
    }

    private boolean due(Topic t, long now) {
        if (!sealable(t)) {
            return false;
        }
        TopicLog log = t.log;
        return log.unsealedCount() >= policy.segmentMaxEvents() || log.memoryBytes() >= policy.segmentMaxBytes()
                || (policy.segmentMaxAgeMs() > 0 && now - log.oldestUnsealedTs() >= policy.segmentMaxAgeMs());
    }

    /** Whether {@code t} holds published records that came through the journal and are not sealed. */
    private static boolean sealable(Topic t) {
        return Math.min(t.log.head(), t.loggedThrough) > t.log.sealedThrough();
    }

    /**
     * Writes the published, journaled records above the topic's sealed seq into segments of at
     * most {@link CheckpointPolicy#segmentMaxEvents()} records, then installs them and lets the
     * memory go. The seal ends on a batch boundary (a head, or the last journaled batch), so
     * replay finds each WAL frame either sealed whole or not at all.
     */
    private boolean seal(Topic t) throws IOException {
        long from = t.log.sealedThrough();
        long upTo = Math.min(t.log.head(), t.loggedThrough);
        if (upTo <= from) {
            return false;
        }
        Path dir = topicDir(t.id);
        if (!fs.exists(dir)) {
            fs.createDirectories(dir);
            fs.forceDirectory(segmentsDir);
        }
        List<Segment> made = new ArrayList<>();
        SegmentWriter[] open = new SegmentWriter[1];
        try {
            t.log.forEachHot(from, upTo, (seq, ts, src, off, dataLen, metaLen, tag, node) -> {
                if (open[0] == null) {
                    open[0] = SegmentWriter.create(fs, dir, t.id, seq);
                }
                SegmentWriter w = open[0];
                w.add(seq, ts, src, off, dataLen, metaLen, tag, node);
                if (w.count() >= policy.segmentMaxEvents() || w.bytes() >= policy.segmentMaxBytes()) {
                    made.add(Segment.of(fs, dir, w.seal()));
                    open[0] = null; // only once sealed: a failed seal is closed and removed below
                }
            });
            if (open[0] != null) {
                made.add(Segment.of(fs, dir, open[0].seal()));
                open[0] = null;
            }
        } catch (IOException | RuntimeException e) {
            if (open[0] != null) {
                open[0].close();
            }
            for (Segment s : made) {
                fs.delete(s.file()); // never installed: recovery would remove it anyway
            }
            throw e;
        }
        t.lock.lock();
        try {
            if (t.retired()) {
                for (Segment s : made) {
                    fs.delete(s.file());
                }
                return false;
            }
            engine.releasedMemory(t.log.sealed(made, upTo));
        } finally {
            t.lock.unlock();
        }
        seals.addAndGet(made.size());
        return true;
    }

    private void snapshot() throws IOException {
        if (engine.replayingTopics() > 0) {
            // a memory topic's deletes and configs are not applied yet: a snapshot stamped above
            // their frames would make the next start skip them; the WAL keeps everything meanwhile
            return;
        }
        Engine.Captured c = engine.capture();
        snapshots.write(c.lsn(), c.state().encode());
        snapshotsWritten.incrementAndGet();
        kept.removeIf(k -> k[0] == c.lsn()); // the same name was just replaced
        kept.add(new long[] {c.lsn(), c.state().replayFrom(), snapshotsWritten.get()});
        while (kept.size() > SnapshotStore.KEEP) {
            kept.removeFirst();
        }
        if (kept.size() == SnapshotStore.KEEP) {
            // keep the WAL every snapshot on disk needs, so the older one can stand in for a damaged newer one
            long keepFrom = Long.MAX_VALUE;
            for (long[] k : kept) {
                keepFrom = Math.min(keepFrom, k[1]);
            }
            journal.truncateBefore(keepFrom);
        }
        lastSnapshotMs = clock.millis();
    }

    /** Takes the segments whose every record is gone out of their topics; true if any went. */
    private boolean dropGoneSegments() {
        boolean any = false;
        for (Topic t : engine.topics()) {
            List<Segment> gone;
            t.lock.lock();
            try {
                gone = t.retired() ? List.of() : t.log.dropGoneSegments();
            } finally {
                t.lock.unlock();
            }
            for (Segment s : gone) {
                // a snapshot written before this one may still name it: the file goes once none kept does
                dropped.add(new Dropped(s.file(), snapshotsWritten.get() + 1));
                any = true;
            }
        }
        return any;
    }

    /** Deletes the files of dropped segments that no kept snapshot names any more. */
    private void deleteDropped() throws IOException {
        long oldestKept = kept.isEmpty() ? 0 : kept.getFirst()[2];
        boolean any = false;
        while (!dropped.isEmpty() && dropped.getFirst().afterSnapshot() <= oldestKept
                && kept.size() == SnapshotStore.KEEP) {
            fs.delete(dropped.removeFirst().file());
            any = true;
        }
        if (any) {
            fs.forceDirectory(segmentsDir); // not needed for safety (recovery removes orphans); tidy
        }
    }

    private void deleteRetired() throws IOException {
        Long id;
        boolean any = false;
        while ((id = retired.poll()) != null) {
            Path dir = topicDir(id);
            try {
                for (Path f : fs.list(dir)) {
                    fs.delete(f);
                }
                if (fs.exists(dir)) {
                    fs.delete(dir);
                    any = true;
                }
            } catch (IOException | RuntimeException e) {
                retired.add(id); // next round; recovery would remove it too
                throw e;
            }
        }
        if (any) {
            fs.forceDirectory(segmentsDir);
        }
    }

    private Path topicDir(long id) {
        return segmentsDir.resolve(Long.toString(id));
    }

    /** The topic id a segment directory is named by, or -1. */
    private static long topicId(Path dir) {
        try {
            return Long.parseLong(dir.getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
