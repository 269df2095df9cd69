package io.topics.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.topics.api.ErrorCode;
import io.topics.api.TopicsException;
import io.topics.api.storage.RealStorage;
import io.topics.api.storage.Storage;
import io.topics.wal.WalOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** Seals, snapshots and WAL truncation, and recovery from them, on the real file system. */
class CheckpointsTest {
    static final CheckpointPolicy SMALL = new CheckpointPolicy(10, 1 << 20, 0, 1 << 20, 0);

    @TempDir
    Path dir;
    final TestingClock clock = new TestingClock(1_700_000_000_000L);
    final Storage fs = RealStorage.INSTANCE;
    CheckpointPolicy policy = SMALL;
    Node node;

    /** One engine over the data directory, recovered from whatever is on disk. */
    final class Node {
        final Engine engine;
        final Checkpoints checkpoints;
        final Recovery.Result recovery;

        Node() throws IOException {
            WalJournal journal = new WalJournal();
            engine = new Engine(clock, EngineLimits.DEFAULTS, DurableEngineTest.CLASSES, journal);
            checkpoints = new Checkpoints(engine, journal, fs, dir, policy, clock);
            recovery = Recovery.run(fs, dir, engine, checkpoints, journal, new WalOptions(2, 1 << 16, false, 1000),
                    clock, p -> { });
        }

        /** A clean stop: final checkpoint, then the WAL closes. */
        void shutdown() throws IOException {
            try {
                checkpoints.close();
            } finally {
                recovery.wal().close();
            }
        }

        /** What a killed process leaves: every written frame, no final checkpoint. */
        void kill() {
            recovery.wal().close();
        }
    }

    Node open() throws IOException {
        node = new Node();
        return node;
    }

    /** A node with one topic of class {@code cls} holding {@code batches} batches of {@code perBatch} records. */
    Node openWith(String topic, String cls, int batches, int perBatch) throws IOException {
        Node n = open();
        n.engine.putTopic(topic, DurableEngineTest.durability(cls));
        write(n.engine, topic, batches, perBatch);
        return n;
    }

    @AfterEach
    void closeWal() {
        if (node != null) {
            node.kill();
        }
    }

    static String readAll(Engine e, String topic) throws Exception {
        StringBuilder all = new StringBuilder();
        long cursor = 0;
        while (true) {
            JsonOut out = new JsonOut();
            DiffResult r = e.diff(topic, DiffQuery.from(cursor).withLimit(7), out);
            all.append(out).append('|');
            if (r.records() == 0) {
                return all.toString();
            }
            cursor = r.nextFromSeq();
        }
    }

    static void write(Engine e, String topic, int batches, int perBatch) {
        for (int b = 0; b < batches; b++) {
            String[] data = new String[perBatch];
            for (int i = 0; i < perBatch; i++) {
                data[i] = "{\"b\":" + b + ",\"i\":" + i + "}";
            }
            WriteBatch w = EngineTest.batch(data);
            e.append(topic, w);
        }
    }

    List<Path> files(String sub) throws IOException {
        Path p = dir.resolve(sub);
        if (!Files.exists(p)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @Test
    void sealedRecordsReadExactlyAsBeforeAndLeaveMemory() throws Exception {
        Node n = openWith("t", "disk", 9, 3);
        n.engine.append("t", DurableEngineTest.tagged("{\"x\":1}", "tg", "nd", "{\"m\":2}"));
        String before = readAll(n.engine, "t");
        long memory = n.engine.memoryBytes();
        n.checkpoints.runOnce();
        assertEquals(3, files("segments").size(), "28 records in segments of at most 10: " + files("segments"));
        assertEquals(before, readAll(n.engine, "t"), "reads cross segments and memory unchanged");
        assertTrue(n.engine.memoryBytes() < memory, n.engine.memoryBytes() + " < " + memory);
        JsonOut mid = new JsonOut();
        n.engine.diff("t", DiffQuery.from(12).withLimit(3), mid);
        assertTrue(mid.toString().startsWith("{\"$seq\":13,"), mid.toString());
        TopicInfo info = n.engine.state("t", false);
        assertEquals(28, info.count());
        assertEquals(1, info.earliestSeq());
    }

    @Test
    void aCleanRestartReplaysNothingAndKeepsEverything() throws Exception {
        Node n = open();
        n.engine.putTopic("d", DurableEngineTest.durability("disk"));
        n.engine.putTopic("f", DurableEngineTest.durability("fsync"));
        write(n.engine, "d", 20, 2);
        write(n.engine, "f", 3, 5);
        String d = readAll(n.engine, "d");
        String f = readAll(n.engine, "f");
        n.shutdown();
        node = null;
        Node again = open();
        assertTrue(again.recovery.snapshotLsn() > 0);
        assertTrue(again.recovery.problems().isEmpty(), again.recovery.problems().toString());
        assertEquals(d, readAll(again.engine, "d"));
        assertEquals(f, readAll(again.engine, "f"));
        assertEquals(0, again.engine.memoryBytes(), "everything was sealed at shutdown");
        assertEquals(41, again.engine.append("d", EngineTest.batch("1")).firstSeq());
        assertEquals(16, again.engine.append("f", EngineTest.batch("1")).firstSeq());
    }

    @Test
    void aKilledProcessRecoversFromTheSnapshotPlusTheWal() throws Exception {
        Node n = openWith("t", "disk", 5, 5);
        n.checkpoints.runOnce(); // seals 25 and snapshots
        write(n.engine, "t", 2, 3); // only in the WAL and memory
        String before = readAll(n.engine, "t");
        n.kill();
        Node again = open();
        assertEquals(before, readAll(again.engine, "t"));
        assertEquals(31, again.engine.state("t", false).count());
        assertEquals(32, again.engine.append("t", EngineTest.batch("1")).firstSeq());
    }

    @Test
    void recoveringTwiceGivesTheSameState() throws Exception {
        Node n = openWith("t", "fsync", 7, 4);
        n.checkpoints.runOnce();
        write(n.engine, "t", 1, 1);
        n.kill();
        Node first = open();
        String a = readAll(first.engine, "t");
        TopicInfo ia = first.engine.state("t", false);
        first.kill();
        Node second = open();
        assertEquals(a, readAll(second.engine, "t"));
        TopicInfo ib = second.engine.state("t", false);
        assertEquals(ia.headSeq(), ib.headSeq());
        assertEquals(ia.count(), ib.count());
        assertEquals(ia.bytes(), ib.bytes());
    }

    @Test
    void theWalIsTruncatedBehindTheFallbackSnapshot() throws Exception {
        Node n = open();
        n.engine.putTopic("t", DurableEngineTest.durability("disk"));
        String big = "\"" + "x".repeat(2000) + "\"";
        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < 60; i++) {
                n.engine.append("t", EngineTest.batch(big));
            }
            n.checkpoints.runOnce();
        }
        // 240 records of 2 KB went through 64 KB WAL files: without truncation there would be ~8 per shard
        List<Path> wal = files("wal");
        assertTrue(wal.size() <= 6, "WAL files left: " + wal);
        assertEquals(2, files("snapshots").size());
        String before = readAll(n.engine, "t");
        n.kill();
        assertEquals(before, readAll(open().engine, "t"));
    }

    @Test
    void aDamagedNewestSnapshotFallsBackToTheOlderOneAndSaysSo() throws Exception {
        Node n = openWith("t", "disk", 3, 5);
        n.checkpoints.runOnce();
        write(n.engine, "t", 3, 5);
        n.checkpoints.runOnce();
        write(n.engine, "t", 1, 2);
        String before = readAll(n.engine, "t");
        n.kill();
        List<Path> snaps = files("snapshots");
        Path newest = snaps.get(snaps.size() - 1);
        byte[] b = Files.readAllBytes(newest);
        b[b.length / 2] ^= 0x40;
        Files.write(newest, b);
        Node again = open();
        assertEquals(before, readAll(again.engine, "t"));
        assertTrue(again.recovery.problems().stream().anyMatch(p -> p.contains("damaged snapshot")),
                again.recovery.problems().toString());
    }

    @Test
    void orphansAreRemovedAtRecovery() throws Exception {
        Node n = openWith("t", "disk", 4, 5);
        n.shutdown();
        List<Path> kept = files("segments");
        Path topicDir = kept.get(0).getParent();
        Files.writeString(topicDir.resolve("00000000000000000099.seg.tmp"), "half a seal");
        Files.writeString(topicDir.resolve("00000000000000000500.seg"), "sealed, never in a snapshot");
        Path ghost = dir.resolve("segments").resolve("987");
        Files.createDirectories(ghost);
        Files.writeString(ghost.resolve("00000000000000000001.seg"), "a deleted topic's");
        Files.writeString(dir.resolve("snapshots").resolve("00000000000000099999.snap.tmp"), "half");
        node = null;
        open();
        assertEquals(kept, files("segments"));
        assertFalse(Files.exists(ghost));
        assertFalse(files("snapshots").stream().anyMatch(p -> p.toString().endsWith(".tmp")));
    }

    @Test
    void aDeletedTopicLosesItsSegmentsAndStaysDeleted() throws Exception {
        Node n = openWith("gone", "disk", 4, 5);
        n.checkpoints.runOnce();
        assertFalse(files("segments").isEmpty());
        n.engine.deleteTopic("gone", false);
        n.checkpoints.runOnce();
        assertTrue(files("segments").isEmpty(), files("segments").toString());
        n.kill();
        Node again = open();
        assertFalse(again.engine.exists("gone"));
    }

    @Test
    void aDamagedSegmentIsAnErrorOnReadNeverFewerRecords() throws Exception {
        Node n = openWith("t", "disk", 4, 5);
        n.shutdown();
        Path seg = files("segments").get(0);
        byte[] b = Files.readAllBytes(seg);
        b[40] ^= 1; // inside the first block
        Files.write(seg, b);
        node = null;
        Node again = open();
        assertTrue(again.recovery.problems().isEmpty(), "header, footer and index are intact");
        TopicsException e = assertThrows(TopicsException.class, () -> readAll(again.engine, "t"));
        assertEquals(ErrorCode.INTERNAL, e.code());
        assertEquals("segment_unreadable", e.detail().get("reason"));
        assertEquals(20, again.engine.state("t", false).count());
    }

    @Test
    void aSegmentCutShortIsReportedAtRecovery() throws Exception {
        Node n = openWith("t", "disk", 4, 5);
        n.shutdown();
        Path seg = files("segments").get(0);
        byte[] b = Files.readAllBytes(seg);
        Files.write(seg, java.util.Arrays.copyOf(b, b.length - 5));
        node = null;
        Node again = open();
        assertTrue(again.recovery.problems().stream().anyMatch(p -> p.contains("damaged segment")),
                again.recovery.problems().toString());
        assertThrows(TopicsException.class, () -> readAll(again.engine, "t"));
    }

    @Test
    void memoryOverBudgetSealsTheLargestTailEarly() throws Exception {
        policy = new CheckpointPolicy(1_000_000, 1L << 30, 0, 500, 0);
        Node n = open();
        n.engine.putTopic("small", DurableEngineTest.durability("disk"));
        n.engine.putTopic("big", DurableEngineTest.durability("disk"));
        write(n.engine, "small", 1, 1);
        write(n.engine, "big", 10, 5);
        n.checkpoints.runOnce();
        assertTrue(n.engine.memoryBytes() <= 500, "memory " + n.engine.memoryBytes());
        assertEquals(0, n.engine.state("big", false).count() - 50);
        assertTrue(files("segments").stream().anyMatch(p -> p.getParent().getFileName().toString().equals(
                Long.toString(topicId(n, "big")))));
    }

    @Test
    void anOldTailIsSealedByAge() throws Exception {
        policy = new CheckpointPolicy(1_000_000, 1L << 30, 60_000, 1L << 30, 0);
        Node n = openWith("t", "disk", 1, 3);
        n.checkpoints.runOnce();
        assertTrue(files("segments").isEmpty());
        clock.advance(60_000);
        n.checkpoints.runOnce();
        assertEquals(1, files("segments").size());
    }

    @Test
    void ephemeralRecordsAreNeverSealedAndTheirSeqsStayUnused() throws Exception {
        Node n = openWith("e", "ephemeral", 5, 5);
        n.checkpoints.runOnce();
        assertTrue(files("segments").isEmpty());
        n.shutdown();
        node = null;
        Node again = open();
        assertEquals(0, again.engine.state("e", false).count());
        assertTrue(again.engine.append("e", EngineTest.batch("1")).firstSeq() > 25);
    }

    @Test
    void switchingToEphemeralStillSealsWhatWasJournaled() throws Exception {
        Node n = openWith("t", "disk", 2, 3);
        n.engine.putTopic("t", DurableEngineTest.durability("ephemeral"));
        write(n.engine, "t", 2, 3);
        n.checkpoints.runOnce();
        n.kill();
        // the journaled records survive a crash even after the WAL behind them is gone
        Node again = open();
        assertEquals(6, again.engine.state("t", false).count());
        again.checkpoints.runOnce();
        again.checkpoints.runOnce();
        again.kill();
        assertEquals(6, open().engine.state("t", false).count());
    }

    static final String BIG = "\"" + "x".repeat(2000) + "\"";

    static void writeBig(Engine e, String topic, int n) {
        for (int i = 0; i < n; i++) {
            e.append(topic, EngineTest.batch(BIG));
        }
    }

    List<Path> snapshotFiles() throws IOException {
        return files("snapshots").stream().filter(p -> p.toString().endsWith(".snap")).toList();
    }

    /** A disk topic "t" through {@code rounds} rounds of 60 big records and a checkpoint, then a kill. */
    void killedAfterCheckpoints(int rounds) throws IOException {
        Node n = open();
        n.engine.putTopic("t", DurableEngineTest.durability("disk"));
        for (int i = 0; i < rounds; i++) {
            writeBig(n.engine, "t", 60);
            n.checkpoints.runOnce();
        }
        n.kill();
    }

    static void damage(Path p) throws IOException {
        byte[] b = Files.readAllBytes(p);
        b[b.length / 2] ^= 0x40;
        Files.write(p, b);
    }

    @Test
    void aFinalCheckpointAtAnUnchangedLsnKeepsTheFallbacksWal() throws Exception {
        Node n = open();
        n.engine.putTopic("t", DurableEngineTest.durability("disk"));
        writeBig(n.engine, "t", 60);
        n.checkpoints.runOnce();
        writeBig(n.engine, "t", 60);
        n.checkpoints.runOnce();
        String before = readAll(n.engine, "t");
        n.checkpoints.checkpointAll(); // no new frame: the same snapshot name is written again
        n.kill();
        List<Path> snaps = snapshotFiles();
        assertEquals(2, snaps.size());
        damage(snaps.get(1));
        Node again = open();
        assertEquals(120, again.engine.state("t", false).count());
        assertEquals(before, readAll(again.engine, "t"));
    }

    @Test
    void aDamagedSnapshotNeverPushesOutTheGoodFallback() throws Exception {
        killedAfterCheckpoints(3);
        damage(snapshotFiles().get(1));
        Node b = open(); // falls back to the older one, and sets the damaged one aside
        writeBig(b.engine, "t", 60);
        b.checkpoints.runOnce();
        writeBig(b.engine, "t", 5);
        String before = readAll(b.engine, "t");
        b.kill();
        damage(snapshotFiles().get(1));
        Node c = open();
        assertTrue(c.engine.exists("t"), c.recovery.problems().toString());
        assertEquals(before, readAll(c.engine, "t"));
        assertEquals(2, files("snapshots").stream().filter(p -> p.toString().endsWith(".damaged")).count());
    }

    @Test
    void noSnapshotThatLoadsOverATruncatedWalRefusesToStart() throws Exception {
        killedAfterCheckpoints(3);
        node = null;
        for (Path p : snapshotFiles()) {
            damage(p);
        }
        List<Path> segmentsBefore = files("segments");
        IllegalStateException e = assertThrows(IllegalStateException.class, this::open);
        assertTrue(e.getMessage().contains("truncated below lsn") && e.getMessage().contains("no snapshot"),
                e.getMessage());
        assertEquals(segmentsBefore, files("segments"), "nothing was removed");
    }

    @Test
    void aGapInALoggedTopicsLogIsReported() throws Exception {
        Node n = open();
        n.engine.putTopic("t", DurableEngineTest.durability("disk"));
        write(n.engine, "t", 3, 2);
        n.kill();
        node = null;
        // drop the middle frame's bytes as if that part of the log were gone: rewrite the WAL
        // without it through a fresh engine that never saw seqs 3..4
        Path walDir = dir.resolve("wal");
        List<io.topics.wal.Frame> frames = new ArrayList<>();
        io.topics.wal.WalReplay.replay(fs, walDir, f -> frames.add(f));
        Engine e = new Engine(clock, EngineLimits.DEFAULTS, DurableEngineTest.CLASSES, Journal.NONE);
        for (io.topics.wal.Frame f : frames) {
            if (!(f.type() == io.topics.wal.FrameType.APPEND && f.seq() == 3)) {
                e.replay(f);
            }
        }
        List<String> problems = e.recovered(true);
        assertEquals(List.of("topic \"t\": seqs 3..4 are missing from the WAL"), problems);
    }

    @Test
    void memoryTopicsComeBackAfterReadyAndAnswer503Meanwhile() throws Exception {
        Node n = open();
        n.engine.putTopic("m", DurableEngineTest.durability("memory"));
        n.engine.putTopic("d", DurableEngineTest.durability("disk"));
        write(n.engine, "m", 4, 3);
        write(n.engine, "d", 2, 2);
        String m = readAll(n.engine, "m");
        String d = readAll(n.engine, "d");
        n.kill();
        Node again = open();
        assertEquals(d, readAll(again.engine, "d"), "other classes serve at once");
        for (ThrowingCall call : new ThrowingCall[] {
            () -> readAll(again.engine, "m"),
            () -> again.engine.append("m", EngineTest.batch("1")),
            () -> again.engine.state("m", false),
            () -> again.engine.putTopic("m", DurableEngineTest.durability("disk")),
            () -> again.engine.deleteTopic("m", false)}) {
            TopicsException e = assertThrows(TopicsException.class, call::run);
            assertEquals(ErrorCode.NOT_READY, e.code());
            assertEquals("topic_replaying", e.detail().get("reason"));
        }
        assertEquals(1, again.engine.replayingTopics());
        assertEquals(List.of(false, true), again.engine.list("", null, 10, false).topics().stream()
                .map(TopicInfo::replaying).toList(), "d, then m marked as replaying");
        again.checkpoints.runOnce(); // a checkpoint meanwhile does not drop its WAL
        again.checkpoints.runOnce();
        assertEquals(List.of(), again.recovery.deferred().run());
        assertEquals(0, again.engine.replayingTopics());
        assertFalse(again.engine.state("m", false).replaying());
        assertEquals(m, readAll(again.engine, "m"));
        // a kill may have taken acked memory records after 12: their reserved seqs are a lost tail
        assertLostTail(again.engine, "m", 12);
        assertEquals(3 + Engine.TAIL_BLOCK + 1, again.engine.append("m", EngineTest.batch("1")).firstSeq());
    }

    @Test
    void aMemoryTopicsDeferredReplayEvictsByTheCapsOfItsTime() throws Exception {
        Node n = open();
        n.engine.putTopic("m", retention("memory", 3, 0));
        write(n.engine, "m", 5, 2); // evicts down to 3
        n.engine.putTopic("m", retention("memory", 0, 0)); // no cap from here on
        write(n.engine, "m", 1, 2);
        String before = retentionView(n.engine, "m", 11, false);
        n.kill();
        Node again = open();
        assertEquals("topic_replaying", assertThrows(TopicsException.class,
                () -> again.engine.deleteRecords("m", new DeleteSelector(2, null, false))).detail().get("reason"));
        assertEquals(List.of(), again.recovery.deferred().run());
        assertEquals(before, retentionView(again.engine, "m", 11, false));
        assertLostTail(again.engine, "m", 12);
        assertEquals(0, again.engine.state("m", false).config().capRecords());
    }

    @Test
    void aDeferredTopicsWalOutlivesCheckpointsUntilItIsBack() throws Exception {
        Node n = open();
        n.engine.putTopic("m", DurableEngineTest.durability("memory"));
        n.engine.putTopic("t", DurableEngineTest.durability("disk"));
        write(n.engine, "m", 3, 2);
        n.kill();
        Node again = open();
        for (int round = 0; round < 4; round++) {
            writeBig(again.engine, "t", 60); // rotates 64 KB WAL files; snapshots try to truncate them
            again.checkpoints.runOnce();
        }
        again.recovery.deferred().run();
        assertEquals(6, again.engine.state("m", false).count());
        again.kill();
        Node third = open();
        third.recovery.deferred().run();
        assertEquals(6, third.engine.state("m", false).count(), "a restart meanwhile still finds it all");
    }

    @Test
    void replayStaysWithinTheMemoryBudget() throws Exception {
        policy = new CheckpointPolicy(1_000_000, 1L << 30, 0, 20_000, 0);
        Node n = open();
        n.engine.putTopic("t", DurableEngineTest.durability("disk"));
        write(n.engine, "t", 3000, 1); // ~50 KB in memory: nothing seals without a round
        String before = readAll(n.engine, "t");
        assertTrue(n.engine.memoryBytes() > 40_000, "memory " + n.engine.memoryBytes());
        n.kill();
        Node again = open();
        assertTrue(again.engine.memoryBytes() < 40_000, "replay sealed as it went: " + again.engine.memoryBytes());
        assertFalse(files("segments").isEmpty());
        assertEquals(before, readAll(again.engine, "t"));
        again.kill();
        Node third = open(); // what replay sealed was in no snapshot: removed as orphans, sealed again
        assertEquals(before, readAll(third.engine, "t"));
        assertEquals(3001, third.engine.append("t", EngineTest.batch("1")).firstSeq());
    }

    /**
     * Everything a reader can see of a topic's retention: its state, then for every cursor from
     * 0 to one above the head the tombstone and the seqs a read returns.
     */
    static String retentionView(Engine e, String topic) throws Exception {
        return retentionView(e, topic, e.state(topic, false).headSeq() + 1, true);
    }

    /**
     * As above for the cursors up to {@code upTo}; without {@code withHead}, leaving the head out:
     * what a {@code memory} topic must keep across a kill, which may lose the tail after it.
     */
    static String retentionView(Engine e, String topic, long upTo, boolean withHead) throws Exception {
        TopicInfo i = e.state(topic, false);
        StringBuilder v = new StringBuilder((withHead ? "head " + i.headSeq() : "") + " earliest " + i.earliestSeq()
                + " count " + i.count() + " bytes " + i.bytes() + "\n");
        for (long from = 0; from <= upTo; from++) {
            JsonOut out = new JsonOut();
            DiffResult r = e.diff(topic, DiffQuery.from(from).withLimit(1000), out);
            String tombstone = String.valueOf(r.tombstone());
            v.append(from).append(": ").append(withHead ? tombstone : tombstone.replaceAll(", headSeq=\\d+", ""))
                    .append(' ').append(r.nextFromSeq()).append(' ')
                    .append(out.toString().replaceAll("\"\\$ts\":\\d+,|\"data\":[^}]*}", "")).append('\n');
        }
        return v.toString();
    }

    static ConfigPatch retention(String cls, long capRecords, long ttlMs) {
        return new ConfigPatch(null, ttlMs, capRecords, null, null, null, cls, null, null, null, null, null, null,
                null, null, null, null);
    }

    /** Caps, TTL and deletes on records sealed and in memory: what readers see, before and after each kind of restart. */
    @ParameterizedTest
    @ValueSource(strings = {"disk", "fsync", "memory"})
    void floorsAndDeletesSurviveACleanRestartAndAKill(String cls) throws Exception {
        Node n = open();
        n.engine.putTopic("t", retention(cls, 40, 60_000));
        for (int i = 0; i < 50; i++) {
            n.engine.append("t", DurableEngineTest.tagged("{\"i\":" + i + "}", "k-" + (i % 4), null, null));
        }
        n.engine.deleteRecords("t", new DeleteSelector(0, "k-1", false));
        n.checkpoints.runOnce(); // seals: the next deletes reach segments
        n.engine.deleteRecords("t", new DeleteSelector(0, "k-2", false));
        n.engine.deleteRecords("t", new DeleteSelector(16, null, false));
        clock.advance(30_000);
        for (int i = 0; i < 6; i++) {
            n.engine.append("t", DurableEngineTest.tagged("{\"j\":" + i + "}", "k-3", null, null)); // memory only
        }
        n.engine.deleteRecords("t", new DeleteSelector(0, "k-0", false));
        String before = retentionView(n.engine, "t");
        n.shutdown();
        node = null;
        awaitDeferred(open());
        assertEquals(before, retentionView(node.engine, "t"), "after a clean restart");
        assertEquals(57, node.engine.append("t", EngineTest.batch("1")).firstSeq());
        assertKillKeepsTheView(node, "t", 0);
        clock.advance(30_001); // the first 50 records pass their TTL; the rest 30 s later
        String expired = retentionView(node.engine, "t");
        assertTrue(expired.contains("reason=ttl"), expired);
        assertKillKeepsTheView(node, "t", 0); // TTL floors after a kill
    }

    private static void awaitDeferred(Node n) throws Exception {
        n.recovery.deferred().run();
    }

    @Test
    void aDeleteByTagReachesSealedSegmentsThroughTheirTagIndex() throws Exception {
        Node n = open();
        n.engine.putTopic("t", DurableEngineTest.durability("disk"));
        for (int i = 0; i < 35; i++) {
            n.engine.append("t", DurableEngineTest.tagged("1", i % 5 == 0 ? "user-7:" + i : "other", null, null));
        }
        n.checkpoints.runOnce();
        assertEquals(4, n.engine.topics().iterator().next().log.segments().length);
        assertEquals(7, n.engine.deleteRecords("t", new DeleteSelector(0, "user-7:", true)).deleted());
        assertEquals(28, n.engine.state("t", false).count());
        assertFalse(readAll(n.engine, "t").contains("user-7"));
    }

    @Test
    void aSegmentWhoseRecordsAreAllGoneIsDroppedAndItsFileGoesOnceNoSnapshotNamesIt() throws Exception {
        Node n = openWith("t", "disk", 10, 3);
        n.checkpoints.runOnce();
        assertEquals(3, files("segments").size());
        n.engine.deleteRecords("t", new DeleteSelector(21, null, false)); // the first two segments
        n.checkpoints.runOnce();
        assertEquals(1, n.engine.topics().iterator().next().log.segments().length, "dropped from the topic at once");
        assertEquals(3, files("segments").size(), "the older snapshot still names them");
        write(n.engine, "t", 1, 1);
        String before = retentionView(n.engine, "t");
        n.checkpoints.runOnce();
        assertEquals(1, files("segments").size(), "both kept snapshots were written after the drop");
        n.kill();
        Node again = open();
        assertTrue(again.recovery.problems().isEmpty(), again.recovery.problems().toString());
        assertEquals(before, retentionView(again.engine, "t"));
    }

    @Test
    void recordsThatExpiredStayExpiredWhenTheTtlIsRaisedAndTheProcessKilled() throws Exception {
        Node n = open();
        n.engine.putTopic("t", retention("disk", 0, 1000));
        write(n.engine, "t", 3, 2);
        clock.advance(1001);
        write(n.engine, "t", 1, 1);
        String before = retentionView(n.engine, "t");
        assertTrue(before.contains("gapTo=6, reason=ttl"), before);
        n.engine.putTopic("t", retention("disk", 0, 3_600_000));
        assertEquals(before, retentionView(n.engine, "t"));
        n.kill(); // no snapshot since the expiry: only the WAL knows
        Node again = open();
        assertEquals(before, retentionView(again.engine, "t"));
        again.engine.putTopic("t", retention("disk", 0, 0)); // TTL off
        again.kill();
        assertEquals(before, retentionView(open().engine, "t"));
    }

    /** Writes, deletes and evictions racing the checkpoint thread's seals, drops and snapshots, then a kill. */
    @Test
    void deletesRacingCheckpointsRecoverToWhatReadersSaw() throws Exception {
        Node n = open();
        n.engine.putTopic("t", retention("fsync", 150, 0));
        n.checkpoints.start();
        Thread writer = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 400; i++) {
                n.engine.append("t", DurableEngineTest.tagged("{\"i\":" + i + "}", "k-" + (i % 5), null, null));
            }
        });
        java.util.Set<Long> deleted = new java.util.HashSet<>();
        for (int round = 0; writer.isAlive() || round < 5; round++) {
            String tag = "k-" + (round % 5);
            long head = n.engine.state("t", false).headSeq();
            n.engine.deleteRecords("t", new DeleteSelector(0, tag, false));
            JsonOut out = new JsonOut();
            n.engine.diff("t", DiffQuery.from(0).withLimit(1000), out);
            for (String rec : out.toString().split("\\},\\{")) {
                assertFalse(rec.contains("\"$tag\":\"" + tag + "\"") && seqOf(rec) <= head,
                        "a record the delete covered is still served: " + rec);
            }
            Thread.sleep(2);
        }
        writer.join();
        n.checkpoints.close();
        assertTrue(n.checkpoints.stats().seals() > 0 && n.checkpoints.stats().snapshots() > 0);
        n.engine.deleteRecords("t", new DeleteSelector(0, "k-3", false)); // after the last snapshot: WAL only
        String before = retentionView(n.engine, "t");
        n.kill();
        Node again = open();
        assertTrue(again.recovery.problems().isEmpty(), again.recovery.problems().toString());
        assertEquals(before, retentionView(again.engine, "t"));
    }

    private static long seqOf(String record) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"\\$seq\":(\\d+)").matcher(record);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Kills {@code n}, lets {@code laterMs} pass, recovers: the topic must look exactly as before the kill. */
    void assertKillKeepsTheView(Node n, String topic, long laterMs) throws Exception {
        TopicInfo info = n.engine.state(topic, false);
        // a memory topic's acked tail may be lost to a kill: what is below it must stay exactly
        boolean tailMayGo = info.config().durability().equals("memory");
        long upTo = tailMayGo ? info.headSeq() - 1 : info.headSeq() + 1;
        String before = retentionView(n.engine, topic, upTo, !tailMayGo);
        n.kill();
        clock.advance(laterMs);
        Node again = open();
        again.recovery.deferred().run();
        assertEquals(before, retentionView(again.engine, topic, upTo, !tailMayGo));
        if (tailMayGo && again.engine.state(topic, false).headSeq() != info.headSeq()) {
            assertLostTail(again.engine, topic, info.headSeq()); // not when nothing was written since the last start
        }
    }

    /** A read from {@code head} crosses a crash's lost tail: a tombstone, and the next write above it. */
    static void assertLostTail(Engine e, String topic, long head) throws Exception {
        DiffResult r = e.diff(topic, DiffQuery.from(head), new JsonOut());
        Tombstone t = r.tombstone();
        assertTrue(t != null && t.reason().equals("crash") && t.gapFrom() == head + 1
                && t.gapTo() == e.state(topic, false).headSeq(), "lost tail after " + head + ": " + t);
        assertTrue(r.caughtUp());
    }

    @Test
    void evictionsInASnapshotAreNotCountedTwiceByReplay() throws Exception {
        Node n = open();
        n.engine.putTopic("t", retention("disk", 3, 0));
        write(n.engine, "t", 8, 1);
        n.checkpoints.runOnce(); // a snapshot that counts 1..5 as gone, nothing sealed
        assertKillKeepsTheView(n, "t", 0);
        n = node;
        n.engine.deleteRecords("t", new DeleteSelector(9, null, false));
        n.checkpoints.runOnce();
        assertKillKeepsTheView(n, "t", 0);
        assertEquals(0, node.engine.stats(0).bytesLive());
    }

    @Test
    void theHeadNeverFallsBelowWhatASnapshotCountsAsGone() throws Exception {
        Node n = openWith("t", "disk", 8, 1);
        n.engine.deleteRecords("t", new DeleteSelector(9, null, false));
        n.engine.deleteRecords("t", new DeleteSelector(9, null, false)); // drops the last chunk
        n.checkpoints.runOnce();
        assertKillKeepsTheView(n, "t", 0);
        assertEquals(9, node.engine.append("t", EngineTest.batch("1")).firstSeq());
        assertEquals(1, node.engine.state("t", false).count());
    }

    @Test
    void replayJudgesTtlByTheTimeOfEachConfigChange() throws Exception {
        Node n = open();
        n.engine.putTopic("t", retention("disk", 0, 60_000));
        write(n.engine, "t", 3, 1);
        clock.advance(5_000);
        n.engine.putTopic("t", retention("disk", 100, 60_000));
        n.engine.putTopic("t", retention("disk", 100, 3_600_000));
        assertKillKeepsTheView(n, "t", 300_000); // 5 minutes later: still well within an hour
    }

    @Test
    void deletesAndEvictionsOfLoggedRecordsWhileEphemeralSurviveAKill() throws Exception {
        Node n = openWith("t", "disk", 10, 1);
        n.engine.putTopic("t", DurableEngineTest.durability("ephemeral"));
        n.engine.deleteRecords("t", new DeleteSelector(3, null, false));
        n.engine.putTopic("t", retention("ephemeral", 5, 0)); // evicts logged 3..5 (the config frame says so)
        write(n.engine, "t", 2, 1); // evicts logged 6 and 7: only a cap floor frame can say so
        String after = retentionView(n.engine, "t");
        assertTrue(after.contains("gapTo=7, reason=cap"), after);
        n.kill();
        Node again = open();
        String view = retentionView(again.engine, "t");
        assertTrue(view.startsWith("head 100011 earliest 8 count 3"), "ephemeral seqs are reserved: " + view);
        assertTrue(view.contains("0: Tombstone[gapFrom=1, gapTo=7, reason=cap, missedEstimate=7, earliestSeq=8, headSeq=100011]"
                + " 100011 {\"$seq\":8,},{\"$seq\":9,},{\"$seq\":10,}\n"), "logged 8..10 survive: " + view);
    }

    @Test
    void aTtlFloorOutlivesADeleteReplayedBeforeIt() throws Exception {
        Node n = open();
        n.engine.putTopic("t", retention("disk", 0, 1000));
        write(n.engine, "t", 5, 1);
        clock.advance(1001);
        assertEquals(0, n.engine.state("t", false).count()); // expires 1..5
        write(n.engine, "t", 4, 1);
        n.engine.deleteRecords("t", new DeleteSelector(8, null, false));
        assertKillKeepsTheView(n, "t", 0);
    }

    @Test
    void aPrefixDeleteOverSealedSegmentsCountsExactlyWithOrWithoutDeletesInThem() throws Exception {
        Node n = open();
        n.engine.putTopic("t", DurableEngineTest.durability("disk"));
        for (int i = 1; i <= 45; i++) {
            n.engine.append("t", DurableEngineTest.tagged("{\"i\":" + i + "}", i % 4 == 0 && i > 20 ? "a" : null, null, null));
        }
        n.checkpoints.runOnce(); // segments 1..10, 11..20, 21..30, 31..40; 41..45 in memory
        n.engine.deleteRecords("t", new DeleteSelector(0, "a", false)); // 24, 28, 32, 36, 40, 44
        DeleteResult d = n.engine.deleteRecords("t", new DeleteSelector(43, null, false));
        assertEquals(20 + 10 - 2 + 10 - 3 + 2, d.deleted()); // two whole segments, two with deletes, 41 and 42
        assertEquals(new DeleteResult("t", 37, 43, 45, 2, 16), d);
        assertEquals(2, n.engine.stats(0).recordsLive());
        assertKillKeepsTheView(n, "t", 0);
    }

    /** Caps and TTL tightened over sealed segments (some removed whole) read as on a log all in memory. */
    @ParameterizedTest
    @ValueSource(strings = {"records", "bytes", "ttl"})
    void retentionOverSealedSegmentsRemovesExactlyAsInMemory(String rule) throws Exception {
        Node n = open();
        Engine memory = new Engine(clock, EngineLimits.DEFAULTS, EngineTest.CLASSES);
        List<Engine> both = List.of(n.engine, memory);
        for (Engine e : both) {
            e.putTopic("t", DurableEngineTest.durability("disk"));
        }
        for (int i = 1; i <= 45; i++) {
            for (Engine e : both) {
                e.append("t", DurableEngineTest.tagged("{\"i\":\"" + "x".repeat(i % 9) + "\"}", i == 12 ? "gone" : null,
                        null, null));
            }
            clock.advance(10);
        }
        n.checkpoints.runOnce(); // 1..40 in four segments; one record deleted in the second
        for (Engine e : both) {
            e.deleteRecords("t", new DeleteSelector(0, "gone", false));
            e.putTopic("t", switch (rule) {
                case "records" -> retention("disk", 7, 0);
                case "ttl" -> retention("disk", 0, 95); // the last 9 records are younger
                default -> new ConfigPatch(null, null, null, 100L, null, null, null, null, null, null, null, null, null,
                        null, null, null, null);
            });
            write(e, "t", 1, 3); // and a write on top
        }
        assertEquals(retentionView(memory, "t"), retentionView(n.engine, "t"));
        assertKillKeepsTheView(n, "t", 0);
    }

    @Test
    void noSnapshotIsWrittenWhileAMemoryTopicIsStillReplaying() throws Exception {
        Node n = open();
        n.engine.putTopic("m", retention("memory", 4, 0));
        for (int i = 0; i < 8; i++) {
            n.engine.append("m", DurableEngineTest.tagged("{\"i\":" + i + "}", i == 6 ? "x" : null, null, null));
        }
        n.engine.deleteRecords("m", new DeleteSelector(0, "x", false));
        String before = retentionView(n.engine, "m", 7, false);
        n.kill();
        Node replaying = open(); // the memory topic waits for the deferred replay
        long snapshots = files("snapshots").size();
        write(replaying.engine, "other", 1, 1); // the log moves: a round would snapshot
        replaying.checkpoints.runOnce();
        assertEquals(snapshots, files("snapshots").size(), "no snapshot may claim the topic's delete frame");
        replaying.kill();
        Node last = open();
        last.recovery.deferred().run();
        assertEquals(before, retentionView(last.engine, "m", 7, false));
        assertLostTail(last.engine, "m", 8);
    }

    @Test
    void evictionsWhileUnloggedRecordsAreLiveSurviveAKill() throws Exception {
        Node n = openWith("t", "disk", 10, 1);
        n.engine.putTopic("t", DurableEngineTest.durability("ephemeral"));
        write(n.engine, "t", 5, 1); // 11..15, never logged
        n.engine.putTopic("t", retention("ephemeral", 5, 0)); // evicts logged 1..10: replay counts only those
        String first = retentionView(n.engine, "t");
        assertTrue(first.contains("gapTo=10, reason=cap"), first);
        n.kill();
        Node again = open();
        assertTrue(retentionView(again.engine, "t").contains("0: Tombstone[gapFrom=1, gapTo=10, reason=cap"));

        Node m = node;
        m.engine.putTopic("u", retention("disk", 10, 0));
        write(m.engine, "u", 10, 1);
        m.engine.putTopic("u", retention("ephemeral", 10, 0));
        write(m.engine, "u", 5, 1); // evicts logged 1..5 (an unlogged write: a cap floor frame)
        m.engine.putTopic("u", retention("disk", 10, 0));
        write(m.engine, "u", 3, 1); // evicts logged 6..8 while unlogged 11..15 are live
        String view = retentionView(m.engine, "u");
        assertTrue(view.contains("0: Tombstone[gapFrom=1, gapTo=8, reason=cap"), view);
        m.kill();
        String after = retentionView(open().engine, "u");
        assertTrue(after.contains("0: Tombstone[gapFrom=1, gapTo=8, reason=cap"), after);
        assertFalse(after.contains("\"$seq\":6,"), after);
    }

    @Test
    void theTtlSweepExpiresWithoutAnyRead() throws Exception {
        Node n = open();
        n.engine.putTopic("t", retention("disk", 0, 1000));
        write(n.engine, "t", 4, 5);
        clock.advance(1001);
        n.checkpoints.runOnce();
        assertEquals(0, n.engine.stats(0).recordsLive());
        assertEquals(0, n.engine.memoryBytes(), "expired records leave memory");
    }

    /** A call expected to throw. */
    interface ThrowingCall {
        void run() throws Exception;
    }

    private static long topicId(Node n, String name) {
        for (Topic t : n.engine.topics()) {
            if (t.name.equals(name)) {
                return t.id;
            }
        }
        throw new AssertionError(name);
    }
}
