package io.topics.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.topics.testkit.storage.FakeStorage;
import io.topics.testkit.storage.FaultInjector.Fault;
import io.topics.testkit.storage.FaultInjector.Repeat;
import io.topics.testkit.storage.StorageOp;
import io.topics.testkit.storage.TearMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The engine, its checkpoints and its WAL on the fake disk (reliability.md): crash-point sweeps
 * over a seal with its snapshot, a final checkpoint, a topic delete and recovery itself, and
 * I/O faults inside checkpoints. After every crash and recovery each {@code fsync} topic reads
 * exactly as it did when its writes were acked, the next write gets head + 1, a second
 * recovery agrees with the first, and no file took its name before it was forced.
 */
class EngineFaultTest {
    static final CheckpointPolicy POLICY = new CheckpointPolicy(10, 1 << 20, 0, 1 << 20, 0);

    /** How a crash point ends: a kill, or a power loss with a tear mode and seed. */
    record Ending(String name, TearMode mode, long seed) {
        static final List<Ending> ALL = List.of(new Ending("kill", null, 0), new Ending("power loss", TearMode.NONE, 0),
                new Ending("power loss, CUT", TearMode.CUT, 1), new Ending("power loss, CUT", TearMode.CUT, 2),
                new Ending("power loss, ZERO_SECTOR", TearMode.ZERO_SECTOR, 3),
                new Ending("power loss, FLIP_BIT", TearMode.FLIP_BIT, 4));

        String apply(EngineRig rig) {
            if (mode == null) {
                rig.kill();
                return "killed";
            }
            return rig.powerLoss(seed, mode);
        }
    }

    /** A disk and what each durable topic must read back as. */
    record Base(FakeStorage.Snapshot disk, Map<String, String> expected) {
    }

    interface Operation {
        void run(EngineRig rig) throws Exception;
    }

    /**
     * Topics {@code f} and {@code g} ({@code fsync}) and {@code e} ({@code ephemeral}), written and
     * acked; with {@code checkpointed}, one checkpoint ran in the middle (segments, a snapshot).
     */
    static Base base(boolean checkpointed) throws Exception {
        try (EngineRig rig = new EngineRig(new FakeStorage(EngineRig.DATA), POLICY)) {
            rig.open();
            Engine e = rig.engine;
            for (String t : new String[] {"f", "g"}) {
                e.putTopic(t, DurableEngineTest.durability("fsync"));
            }
            e.putTopic("e", DurableEngineTest.durability("ephemeral"));
            CheckpointsTest.write(e, "f", 4, 4);
            CheckpointsTest.write(e, "g", 2, 3);
            if (checkpointed) {
                rig.checkpoints.runOnce();
            }
            CheckpointsTest.write(e, "f", 7, 3);
            CheckpointsTest.write(e, "g", 1, 6);
            CheckpointsTest.write(e, "e", 3, 3);
            e.append("f", DurableEngineTest.tagged("{\"x\":\"ü\"}", "tag", "node-1", "{\"m\":1}"));
            Map<String, String> expected = new LinkedHashMap<>();
            expected.put("f", rig.read("f"));
            expected.put("g", rig.read("g"));
            rig.kill();
            return new Base(rig.disk.snapshot(), expected);
        }
    }

    /** Recovers, checks every durable topic against the base, recovers again, checks again. */
    static void assertRecovers(EngineRig rig, Base base, String context) throws Exception {
        try {
            for (int round = 1; round <= 2; round++) {
                rig.open();
                for (String p : rig.recovery.problems()) {
                    assertFalse(p.contains("damaged") || p.contains("missing"), "recovery #" + round + " found: " + p);
                }
                for (Map.Entry<String, String> t : base.expected().entrySet()) {
                    assertEquals(t.getValue(), rig.read(t.getKey()), "recovery #" + round + ", topic " + t.getKey());
                }
                assertEquals(0, rig.engine.state("e", false).count(), "ephemeral records are gone by design");
                rig.kill();
            }
            rig.open();
            rig.assertContinues("f");
            assertTrue(rig.engine.append("e", EngineTest.batch("1")).firstSeq() > 9, "ephemeral seqs are not reused");
            rig.assertOrdering();
        } catch (AssertionError | Exception e) {
            throw new AssertionError(context + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs {@code op} once to count its seam calls M, then for every k in 0..M and every ending:
     * restart from the base, crash after call k of the operation, end, and recover.
     */
    static int sweep(Base base, Operation op, int minCalls) throws Exception {
        long m;
        try (EngineRig probe = EngineRig.from(base.disk(), POLICY)) {
            probe.open();
            long c0 = probe.faults.callCount();
            op.run(probe);
            m = probe.faults.callCount() - c0;
        }
        assertTrue(m >= minCalls, "the operation made " + m + " seam calls, expected at least " + minCalls);
        int runs = 0;
        for (long k = 0; k <= m; k++) {
            for (Ending ending : Ending.ALL) {
                try (EngineRig rig = EngineRig.from(base.disk(), POLICY)) {
                    rig.open();
                    rig.faults.crashAfter(k);
                    try {
                        op.run(rig);
                    } catch (RuntimeException | IOException crashed) {
                        // the crash point stops the operation wherever it is
                    }
                    String how = ending.apply(rig);
                    assertRecovers(rig, base, "crash after call " + k + " of " + m + ", then " + ending.name() + " ("
                            + how + ")");
                    runs++;
                }
            }
        }
        return runs;
    }

    @Test
    void crashAnywhereInASealAndSnapshot() throws Exception {
        Base base = base(true);
        int runs = sweep(base, rig -> rig.checkpoints.runOnce(), 40);
        assertTrue(runs > 40 * Ending.ALL.size(), "runs: " + runs);
    }

    @Test
    void crashAnywhereInTheFinalCheckpoint() throws Exception {
        sweep(base(false), rig -> rig.checkpoints.checkpointAll(), 30);
    }

    @Test
    void crashAnywhereInRecovery() throws Exception {
        Base base = base(true);
        long m;
        try (EngineRig probe = EngineRig.from(base.disk(), POLICY)) {
            FakeStorage.Snapshot before = probe.disk.snapshot();
            probe.open();
            m = probe.faults.callCount();
            probe.disk.restore(before);
        }
        assertTrue(m >= 10, "recovery made " + m + " calls");
        for (long k = 0; k < m; k++) {
            for (Ending ending : Ending.ALL) {
                try (EngineRig rig = EngineRig.from(base.disk(), POLICY)) {
                    try {
                        rig.open(k);
                    } catch (RuntimeException | IOException crashed) {
                        // recovery stopped at the crash point
                    }
                    if (rig.recovery == null) {
                        rig.faults.crashAfter(0);
                        if (ending.mode() == null) {
                            rig.disk.killProcess();
                        } else {
                            rig.disk.crash(ending.seed(), ending.mode());
                        }
                    } else {
                        ending.apply(rig);
                    }
                    assertRecovers(rig, base, "recovery crashed after call " + k + " of " + m + ", then " + ending.name());
                }
            }
        }
    }

    @Test
    void crashAnywhereInATopicDeleteAndItsCleanup() throws Exception {
        Base base = base(true);
        Map<String, String> withoutG = new LinkedHashMap<>(base.expected());
        withoutG.remove("g");
        Base deleted = new Base(base.disk(), withoutG);
        sweep(deleted, rig -> {
            rig.engine.deleteTopic("g", false);
            rig.checkpoints.runOnce();
        }, 5);
    }

    /**
     * Record deletes on an {@code fsync} topic, the segment drop they cause and the snapshots
     * that let its file go, crashed at every seam call.
     */
    @Test
    void crashAnywhereInRecordDeletesAndTheSegmentDropTheyCause() throws Exception {
        sweepSteps(base(true), "f", List.of(
                rig -> rig.engine.deleteRecords("f", new DeleteSelector(11, null, false)), // the first segment
                rig -> rig.engine.deleteRecords("f", new DeleteSelector(0, "tag", false))), // one record, in memory
                rig -> {
                    rig.checkpoints.runOnce(); // drops the segment, seals, snapshots
                    rig.engine.deleteRecords("f", new DeleteSelector(11, null, false)); // nothing; moves the log
                    rig.checkpoints.runOnce(); // a second snapshot: the dropped file may go
                    assertTrue(rig.checkpoints.stats().snapshots() >= 2);
                });
    }

    /**
     * Deletes on a {@code disk} topic, whose frames are written but not forced: a power loss
     * tears them at the WAL's tail (every tear mode), and each is then there whole or not at all.
     */
    @Test
    void aDeleteFrameTornAtTheWalTailIsWholeOrAbsent() throws Exception {
        sweepSteps(base(true), "g", List.of(
                rig -> rig.engine.putTopic("g", CheckpointsTest.retention("disk", 0, 0)),
                rig -> rig.engine.deleteRecords("g", new DeleteSelector(4, null, false)),
                rig -> rig.engine.deleteRecords("g", new DeleteSelector(9, null, false))),
                rig -> { }, false);
    }

    /** A cap tightened on an {@code fsync} topic, then writes that evict, crashed at every seam call. */
    @Test
    void crashAnywhereInEvictionsAndTheCheckpointsAfterThem() throws Exception {
        sweepSteps(base(true), "f", List.of(
                rig -> rig.engine.putTopic("f", CheckpointsTest.retention("fsync", 12, 0)),
                rig -> CheckpointsTest.write(rig.engine, "f", 1, 5),
                rig -> CheckpointsTest.write(rig.engine, "f", 1, 20)), // a batch above the cap
                rig -> rig.checkpoints.runOnce());
    }

    /**
     * Runs {@code steps} (each acknowledged when it returns) and then {@code tail} on the base,
     * crashed after every seam call and ended every way: recovery shows {@code topic} as after
     * some step at least as far as the last that returned (one that did not is there whole or
     * not at all), a second recovery agrees, and the other durable topics read as in the base.
     */
    static void sweepSteps(Base base, String topic, List<Operation> steps, Operation tail) throws Exception {
        sweepSteps(base, topic, steps, tail, true);
    }

    /** As above; without {@code forced}, a power loss may take steps that returned (a {@code disk} topic's). */
    static void sweepSteps(Base base, String topic, List<Operation> steps, Operation tail, boolean forced)
            throws Exception {
        List<String> states = new ArrayList<>();
        int[] returned = new int[1];
        Operation op = rig -> {
            for (Operation step : steps) {
                step.run(rig);
                returned[0]++;
            }
            tail.run(rig);
        };
        long m;
        try (EngineRig probe = EngineRig.from(base.disk(), POLICY)) {
            probe.open();
            states.add(probe.view(topic));
            long c0 = probe.faults.callCount();
            for (Operation step : steps) {
                step.run(probe);
                states.add(probe.view(topic));
            }
            tail.run(probe);
            m = probe.faults.callCount() - c0;
        }
        assertTrue(m >= 10, "the operation made " + m + " seam calls");
        for (long k = 0; k <= m; k++) {
            for (Ending ending : Ending.ALL) {
                try (EngineRig rig = EngineRig.from(base.disk(), POLICY)) {
                    rig.open();
                    rig.faults.crashAfter(k);
                    returned[0] = 0;
                    try {
                        op.run(rig);
                    } catch (RuntimeException | IOException crashed) {
                        // the crash point stops the operation wherever it is
                    }
                    int acked = forced || ending.mode() == null ? returned[0] : 0;
                    String context = "crash after call " + k + " of " + m + ", then " + ending.name() + " ("
                            + ending.apply(rig) + ")";
                    rig.open();
                    String read = rig.view(topic);
                    int shown = states.lastIndexOf(read);
                    assertTrue(shown >= acked, context + ": " + topic + " reads as after " + shown + " steps, "
                            + acked + " returned: " + read);
                    for (Map.Entry<String, String> t : base.expected().entrySet()) {
                        if (!t.getKey().equals(topic)) {
                            assertEquals(t.getValue(), rig.read(t.getKey()), context);
                        }
                    }
                    rig.kill();
                    rig.open();
                    assertEquals(read, rig.view(topic), context + ": a second recovery agrees");
                    rig.assertContinues(topic);
                    rig.assertOrdering();
                }
            }
        }
    }

    /**
     * Seqs handed to writes a crash may have lost are never handed out again, and a reader
     * crossing them gets a tombstone: a {@code memory} topic's after any unclean stop, a
     * {@code disk} topic's only after a power loss (a kill leaves every written byte), an
     * {@code fsync} topic's never; and after a clean stop nobody's.
     */
    @Test
    void seqsACrashMayHaveLostAreATombstoneAndNeverUsedAgain() throws Exception {
        try (EngineRig rig = new EngineRig(new FakeStorage(EngineRig.DATA), POLICY)) {
            rig.open();
            for (String cls : new String[] {"memory", "disk", "fsync"}) {
                rig.engine.putTopic(cls, DurableEngineTest.durability(cls));
                CheckpointsTest.write(rig.engine, cls, 5, 1);
            }
            rig.kill();
            rig.open();
            rig.recovery.deferred().run();
            long tail = 1 + Engine.TAIL_BLOCK; // reserved by the first write
            CheckpointsTest.assertLostTail(rig.engine, "memory", 5);
            assertEquals(tail + 1, rig.engine.append("memory", EngineTest.batch("1")).firstSeq());
            assertEquals(6, rig.engine.append("disk", EngineTest.batch("1")).firstSeq(), "a kill loses no disk write");
            assertEquals(6, rig.engine.append("fsync", EngineTest.batch("1")).firstSeq());

            rig.powerLoss(0, TearMode.NONE);
            rig.open();
            rig.recovery.deferred().run();
            long diskHead = rig.engine.state("disk", false).headSeq();
            assertEquals(tail, diskHead, "a power loss may have taken acked disk writes: their seqs are gone");
            DiffResult r = rig.engine.diff("disk", DiffQuery.from(5), new JsonOut());
            assertTrue(r.tombstone() != null && r.tombstone().reason().equals("crash") && r.tombstone().gapTo() == tail,
                    String.valueOf(r.tombstone()));
            assertEquals(7, rig.engine.append("fsync", EngineTest.batch("1")).firstSeq(), "fsync loses nothing");

            String disk = rig.view("disk");
            rig.kill();
            rig.open();
            rig.recovery.deferred().run();
            assertEquals(disk, rig.view("disk"), "the lost range is journaled: a later start reports it the same");

            // fill the memory topic's block to its very end: the next block is asked for already
            long memoryHead = rig.engine.state("memory", false).headSeq();
            long reservedEnd = tail + 1 + Engine.TAIL_BLOCK; // its second block, from its first write after the kill
            while (memoryHead < reservedEnd) {
                int n = (int) Math.min(1000, reservedEnd - memoryHead);
                String[] data = new String[n];
                java.util.Arrays.fill(data, "1");
                memoryHead = rig.engine.append("memory", EngineTest.batch(data)).lastSeq();
            }
            rig.shutdown(); // a clean stop: nothing in flight was lost
            rig.open();
            rig.recovery.deferred().run();
            assertEquals(memoryHead, rig.engine.state("memory", false).headSeq(), "a clean stop invents no lost tail");
            assertEquals(memoryHead + 1, rig.engine.append("memory", EngineTest.batch("1")).firstSeq());
        }
    }

    /** Lost ranges outlive snapshots and later crashes, and every reader below one is told. */
    @Test
    void lostRangesOutliveSnapshotsAndFurtherCrashesAndNoReaderCrossesOneSilently() throws Exception {
        try (EngineRig rig = new EngineRig(new FakeStorage(EngineRig.DATA), POLICY)) {
            rig.open();
            rig.engine.putTopic("d", DurableEngineTest.durability("disk"));
            CheckpointsTest.write(rig.engine, "d", 5, 1);
            rig.checkpoints.runOnce(); // 1..5 forced into a segment
            rig.powerLoss(0, TearMode.NONE);
            rig.open();
            long tail = 1 + Engine.TAIL_BLOCK;
            assertEquals(tail, rig.engine.state("d", false).headSeq());
            rig.checkpoints.runOnce(); // a snapshot that stands above the lost range's frame
            rig.kill();
            rig.open();
            assertEquals(tail, rig.engine.state("d", false).headSeq(), "the head never falls back below a lost range");
            CheckpointsTest.assertLostTail(rig.engine, "d", 5);
            rig.engine.deleteRecords("d", new DeleteSelector(4, null, false));
            Tombstone below = rig.engine.diff("d", DiffQuery.from(2), new JsonOut()).tombstone();
            assertEquals(new Tombstone(3, tail, "crash", tail - 2, tail + 1, tail), below,
                    "deleted seqs next to a hole join its tombstone");
            assertEquals(tail + 1, rig.engine.append("d", EngineTest.batch("1")).firstSeq());

            rig.powerLoss(0, TearMode.NONE); // takes the write after the first hole too
            rig.open();
            long head = rig.engine.state("d", false).headSeq();
            assertTrue(head > tail + 1, "a second lost range: " + head);
            DiffResult r = rig.engine.diff("d", DiffQuery.from(tail), new JsonOut());
            assertEquals(new Tombstone(tail + 1, head, "crash", head - tail, head + 1, head), r.tombstone());
            assertEquals(new Tombstone(6, head, "crash", head - 5, head + 1, head),
                    rig.engine.diff("d", DiffQuery.from(5), new JsonOut()).tombstone(), "both holes, one tombstone");
            assertEquals(new Tombstone(1, head, "recreated", head, 1, head),
                    rig.engine.diff("d", DiffQuery.from(99_999), new JsonOut()).tombstone(), "holes stay inside it");

            rig.engine.putTopic("m", DurableEngineTest.durability("memory"));
            CheckpointsTest.write(rig.engine, "m", 3, 1);
            rig.kill();
            rig.open(); // m waits for its deferred replay; a clean stop meanwhile writes no snapshot
            rig.engine.putTopic("m2", DurableEngineTest.durability("memory"));
            long m2 = rig.engine.append("m2", EngineTest.batch("1")).lastSeq(); // reserves up to 1 + TAIL_BLOCK
            while (m2 < 1 + Engine.TAIL_BLOCK) { // to the very end of its block: the next one is asked for
                String[] data = new String[(int) Math.min(1000, 1 + Engine.TAIL_BLOCK - m2)];
                java.util.Arrays.fill(data, "1");
                m2 = rig.engine.append("m2", EngineTest.batch(data)).lastSeq();
            }
            rig.shutdown();
            rig.open();
            rig.recovery.deferred().run();
            assertEquals(head, rig.engine.state("d", false).headSeq(), "a clean stop invents no lost range");
            assertEquals(m2, rig.engine.state("m2", false).headSeq(), "nor for a block asked for ahead");
        }
    }

    /** A fault inside a checkpoint loses nothing: the round fails, the WAL still holds everything, a later round succeeds. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = StorageOp.class, names = {"OPEN", "WRITE", "FORCE", "RENAME", "FORCE_DIRECTORY", "DELETE",
            "CREATE_DIRECTORIES", "LIST"})
    void aFailedCallInACheckpointLosesNothing(StorageOp op) throws Exception {
        Base base = base(true);
        for (Fault fault : new Fault[] {Fault.EIO, Fault.ENOSPC}) {
            try (EngineRig rig = EngineRig.from(base.disk(), POLICY)) {
                rig.open();
                rig.faults.failNth(op, rig.faults.callCount(op) + 1, fault, Repeat.ALWAYS);
                assertThrows(IOException.class, () -> rig.checkpoints.runOnce(), op + " " + fault);
                rig.faults.heal();
                for (Map.Entry<String, String> t : base.expected().entrySet()) {
                    assertEquals(t.getValue(), rig.read(t.getKey()), "reads are unchanged after " + op + " " + fault);
                }
                rig.checkpoints.runOnce();
                rig.kill();
                assertRecovers(rig, base, op + " " + fault + " in a checkpoint");
            }
        }
    }

    @Test
    void aShortSegmentWriteLosesNothing() throws Exception {
        Base base = base(true);
        try (EngineRig rig = EngineRig.from(base.disk(), POLICY)) {
            rig.open();
            rig.faults.failNth(StorageOp.WRITE, rig.faults.callCount(StorageOp.WRITE) + 2, Fault.SHORT_WRITE, Repeat.ONCE);
            assertThrows(IOException.class, () -> rig.checkpoints.runOnce());
            rig.checkpoints.runOnce();
            rig.powerLoss(7, TearMode.CUT);
            assertRecovers(rig, base, "short write in a seal, then power loss");
        }
    }

    @Test
    void aPowerLossAfterTheWalWasTruncatedKeepsTheSnapshots() throws Exception {
        try (EngineRig rig = new EngineRig(new FakeStorage(EngineRig.DATA), POLICY)) {
            rig.open();
            rig.engine.putTopic("t", DurableEngineTest.durability("fsync"));
            for (int round = 0; round < 4; round++) {
                CheckpointsTest.writeBig(rig.engine, "t", 40);
                rig.checkpoints.runOnce();
            }
            String before = rig.read("t");
            rig.powerLoss(0, TearMode.NONE);
            rig.open();
            assertTrue(rig.recovery.snapshotLsn() > 0, "the snapshots directory survived");
            assertEquals(before, rig.read("t"));
        }
    }

    @Test
    void aDamagedNewestSnapshotFallsBackWithoutLoss() throws Exception {
        Base base = base(true);
        try (EngineRig rig = EngineRig.from(base.disk(), POLICY)) {
            rig.open();
            rig.checkpoints.runOnce(); // a second snapshot: the first becomes the fallback
            rig.kill();
            List<java.nio.file.Path> snaps = rig.disk.list(EngineRig.DATA.resolve("snapshots"));
            assertEquals(2, snaps.size());
            rig.disk.corrupt(snaps.get(1), 30, new byte[] {1, 2, 3});
            rig.open();
            assertTrue(rig.recovery.problems().stream().anyMatch(p -> p.contains("damaged snapshot")));
            for (Map.Entry<String, String> t : base.expected().entrySet()) {
                assertEquals(t.getValue(), rig.read(t.getKey()));
            }
        }
    }
}
