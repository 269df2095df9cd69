package io.topics.wal.faults;

import static io.topics.wal.faults.WalRig.await;
import static io.topics.wal.faults.WalRig.awaitAll;
import static io.topics.wal.faults.WalRig.awaitSettled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.topics.api.spi.durability.AckPoint;
import io.topics.testkit.storage.FakeStorage;
import io.topics.testkit.storage.FaultInjector.Fault;
import io.topics.testkit.storage.FaultInjector.Repeat;
import io.topics.testkit.storage.OrderingMonitor.Event;
import io.topics.testkit.storage.SimulatedCrash;
import io.topics.testkit.storage.StorageOp;
import io.topics.testkit.storage.TearMode;
import io.topics.wal.WalOptions;
import io.topics.wal.WalReplay;
import io.topics.wal.faults.WalModel.Stop;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Crash-point sweeps (reliability.md): run one operation once to count its M seam calls, then
 * for every k in 0..M start again from the same disk, crash after call k, lose power with each
 * tear mode (or kill), recover, and compare with the model. The operations are made
 * deterministic: the writer is held at a gate while the batch queues behind it, and the
 * background spare preparation is held until the round is acked.
 */
class CrashPointSweepTest {
    /** How each crash point ends: a kill, or a power loss with a tear mode and seed. */
    record Ending(String name, TearMode mode, long seed) {
        static final List<Ending> ALL = List.of(
                new Ending("kill", null, 0),
                new Ending("power loss", TearMode.NONE, 0),
                new Ending("power loss, CUT", TearMode.CUT, 1),
                new Ending("power loss, CUT", TearMode.CUT, 2),
                new Ending("power loss, ZERO_SECTOR", TearMode.ZERO_SECTOR, 3),
                new Ending("power loss, FLIP_BIT", TearMode.FLIP_BIT, 4));

        void apply(WalRig rig) {
            if (mode == null) {
                rig.kill();
            } else {
                rig.powerLoss(seed, mode);
            }
        }

        @Override
        public String toString() {
            return name + (mode == null || mode == TearMode.NONE ? "" : " seed " + seed);
        }
    }

    interface Operation {
        /**
         * Runs the operation on a started rig; arms {@code crashAfter} (null: no crash) at the
         * moment the sweep starts counting; returns the calls it made from there.
         */
        long run(WalRig rig, Long crashAfter) throws Exception;
    }

    /**
     * Sweeps {@code op} over every crash point and ending. {@code prepare} brings a fresh rig
     * from {@code base} to where the operation starts.
     */
    static int sweep(WalRig.Base base, WalOptions options, Operation prepareAndRun, int minCalls) throws Exception {
        long m;
        try (WalRig probe = WalRig.from(base)) {
            m = prepareAndRun.run(probe, null);
            probe.closeClean();
            probe.recover();
        }
        assertTrue(m >= minCalls, "the operation made " + m + " calls, expected at least " + minCalls);
        int runs = 0;
        int ackedRuns = 0;
        int failedRuns = 0;
        for (long k = 0; k <= m; k++) {
            for (Ending ending : Ending.ALL) {
                try (WalRig rig = WalRig.from(base)) {
                    prepareAndRun.run(rig, k);
                    List<WalModel.Entry> entries = rig.model.entries();
                    WalModel.Entry last = entries.getLast();
                    ackedRuns += last.state == WalModel.State.ACKED ? 1 : 0;
                    failedRuns += last.state == WalModel.State.FAILED ? 1 : 0;
                    ending.apply(rig);
                    try {
                        rig.recover();
                        // whatever the crash left must not trouble the next run
                        rig.start(options);
                        await(rig.append(424242, 1, 16, AckPoint.FORCED));
                        rig.closeClean();
                        rig.recover();
                    } catch (AssertionError | IOException e) {
                        throw new AssertionError("crash after call " + k + " of " + m + ", then " + ending + ": "
                                + e.getMessage(), e);
                    }
                    runs++;
                }
            }
        }
        assertTrue(ackedRuns >= Ending.ALL.size() && failedRuns >= Ending.ALL.size(),
                "the sweep both acked (" + ackedRuns + " runs) and failed (" + failedRuns + " runs) the last frame");
        return runs;
    }

    /** An empty, durable WAL directory. */
    static WalRig.Base empty() {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            return rig.checkpoint();
        }
    }

    /**
     * The first durable batch of a run: the new file is created (directories, open, header,
     * force, directory force), a one-frame round is written, then a round of six frames (four
     * FORCED, a WRITTEN, an ENQUEUED) is written and forced.
     */
    @Test
    void aDurableBatchOnANewFile() throws Exception {
        WalRig.Base base;
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(1, 64 << 10, false));
            for (int i = 0; i < 3; i++) {
                await(rig.append(1, i, 40, AckPoint.FORCED));
            }
            rig.closeClean();
            rig.recover();
            base = rig.checkpoint();
        }
        WalOptions options = WalRig.options(1, 64 << 10, false);
        int runs = sweep(base, options, (rig, crashAfter) -> {
            rig.recover();
            rig.start(options);
            TapStorage.Gate gate = rig.tap.hold(StorageOp.CREATE_DIRECTORIES, p -> p.equals(Layout.shardDir(0)));
            List<CompletableFuture<Void>> fs = new ArrayList<>();
            fs.add(rig.append(1, 3, 40, AckPoint.WRITTEN));
            gate.awaitArrived();
            AckPoint[] acks = {AckPoint.FORCED, AckPoint.WRITTEN, AckPoint.FORCED, AckPoint.ENQUEUED, AckPoint.FORCED,
                    AckPoint.FORCED};
            for (int i = 0; i < acks.length; i++) {
                fs.add(rig.append(1 + i % 2, 4 + i, 60 + 20 * i, acks[i]));
            }
            long c0 = rig.faults.callCount();
            if (crashAfter != null) {
                rig.faults.crashAfter(crashAfter);
            }
            gate.release();
            awaitSettled(fs);
            long calls = rig.faults.callCount() - c0;
            if (crashAfter == null) {
                List<StorageOp> ops = rig.monitor.events().stream().skip(rig.monitor.events().size() - calls)
                        .map(Event::op).toList();
                // the shard's first file also makes the shard and wal directory entries durable
                assertEquals(List.of(StorageOp.CREATE_DIRECTORIES, StorageOp.FORCE_DIRECTORY, StorageOp.FORCE_DIRECTORY,
                        StorageOp.OPEN, StorageOp.WRITE, StorageOp.FORCE, StorageOp.FORCE_DIRECTORY, StorageOp.WRITE,
                        StorageOp.WRITE, StorageOp.FORCE), ops);
            }
            return calls;
        }, 10);
        assertEquals(11 * Ending.ALL.size(), runs);
    }

    /**
     * A rotation: the current file is nearly full, a one-frame round fills it further, and the
     * next round does not fit: force and close the old file, (rename the spare,) open, header,
     * force, directory force, write, force; then the next spare is prepared.
     */
    @ParameterizedTest(name = "preallocate {0}")
    @ValueSource(booleans = {false, true})
    void aRotation(boolean preallocate) throws Exception {
        WalOptions options = WalRig.options(1, 2048, preallocate);
        int frame = Layout.FRAME_HEADER + 100;
        int runs = sweep(empty(), options, (rig, crashAfter) -> {
            rig.recover();
            rig.start(options);
            if (preallocate) {
                rig.awaitSpares(1);
            }
            for (int i = 0; i < 12; i++) {
                await(rig.append(1, i, 100, AckPoint.FORCED));
            }
            if (preallocate) {
                rig.awaitSpares(2);
            }
            assertEquals(1, rig.disk.list(Layout.shardDir(0)).stream().filter(Layout::isWalFile).count());
            TapStorage.Gate spareGate = preallocate
                    ? rig.tap.hold(StorageOp.CREATE_DIRECTORIES, p -> Thread.currentThread().isVirtual()) : null;
            TapStorage.Gate gate = rig.holdNextWalWrite();
            List<CompletableFuture<Void>> fs = new ArrayList<>();
            fs.add(rig.append(1, 12, 100, AckPoint.WRITTEN)); // 32 + 13 frames: fits
            gate.awaitArrived();
            fs.add(rig.append(1, 13, 100, AckPoint.FORCED));
            fs.add(rig.append(2, 14, 100, AckPoint.WRITTEN));
            fs.add(rig.append(1, 15, 100, AckPoint.FORCED)); // 3 more do not fit: rotate
            assertTrue(Layout.FILE_HEADER + 16L * frame > 2048 && Layout.FILE_HEADER + 13L * frame <= 2048);
            long c0 = rig.faults.callCount();
            if (crashAfter != null) {
                rig.faults.crashAfter(crashAfter);
            }
            gate.release();
            awaitSettled(fs);
            if (spareGate != null) {
                spareGate.release();
                if (crashAfter == null) {
                    rig.awaitSpares(3);
                }
            }
            long calls = rig.faults.callCount() - c0;
            if (crashAfter == null) {
                assertEquals(1, rig.lastWal.stats().rotations());
                if (preallocate) {
                    rig.monitor.assertRenameAfterForce(Layout.shardDir(0).resolve(Layout.SPARE));
                }
            }
            return calls;
        }, preallocate ? 16 : 10);
        assertTrue(runs > 0);
    }

    /** A recovery that cuts torn tails in two shards and removes a headerless newest file in a third. */
    static WalRig.Base crashedWithWorkForRecovery() throws IOException {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(3, 4096, true));
            for (int i = 0; i < 30; i++) {
                await(rig.append(WalRig.topicOn(i % 3, 3, 0), i, 80, AckPoint.FORCED));
            }
            List<CompletableFuture<Void>> written = new ArrayList<>();
            for (int i = 30; i < 36; i++) {
                written.add(rig.append(WalRig.topicOn(0, 3, 0), i, 80, AckPoint.WRITTEN));
            }
            awaitAll(written);
            String note = rig.powerLoss(7, TearMode.FLIP_BIT);
            assertTrue(note.contains("shard-0"), note);
            // where the next run would start: a headerless file there in shard 2, as a crash in its rotation leaves
            FakeStorage copy = new FakeStorage();
            copy.restore(rig.disk.snapshot());
            long next = WalReplay.replay(copy, Layout.WAL, f -> { }).nextLsn();
            rig.plant(Layout.file(2, next), new byte[4096]);
            return rig.checkpoint();
        }
    }

    /**
     * Recovery itself, crashed after each of its calls (while it truncates torn and zero tails,
     * forces them, deletes the headerless file and forces the directory), then recovered again:
     * the result equals a clean recovery's.
     */
    @Test
    void recoveryItself() throws Exception {
        WalRig.Base base = crashedWithWorkForRecovery();
        WalRig.Recovery clean;
        long m;
        try (WalRig rig = WalRig.from(base)) {
            long c0 = rig.faults.callCount();
            WalReplay.replay(rig.fs(), Layout.WAL, f -> { });
            m = rig.faults.callCount() - c0;
            List<StorageOp> ops = rig.monitor.events().stream().map(Event::op).toList();
            assertTrue(ops.contains(StorageOp.TRUNCATE) && ops.contains(StorageOp.DELETE), ops.toString());
        }
        try (WalRig rig = WalRig.from(base)) {
            clean = rig.recover();
            assertTrue(clean.result().truncated().size() >= 2, clean.result().truncated().toString());
        }
        for (long k = 0; k <= m; k++) {
            for (boolean kill : new boolean[] {false, true}) {
                try (WalRig rig = WalRig.from(base)) {
                    rig.faults.crashAfter(k);
                    try {
                        WalReplay.replay(rig.fs(), Layout.WAL, f -> { });
                    } catch (SimulatedCrash expected) {
                        // the crash point
                    }
                    if (kill) {
                        rig.kill();
                    } else {
                        rig.powerLoss(k, TearMode.NONE);
                    }
                    rig.stop = Stop.POWER_LOSS; // what the first crash promised; this one loses nothing acked
                    WalRig.Recovery again;
                    try {
                        again = rig.recover();
                    } catch (AssertionError | IOException e) {
                        throw new AssertionError("recovery crashed after call " + k + " of " + m + (kill ? ", kill" : ", power loss")
                                + ": " + e.getMessage(), e);
                    }
                    assertEquals(clean.frames(), again.frames(), "crash after call " + k);
                    assertEquals(clean.result().nextLsn(), again.result().nextLsn(), "crash after call " + k);
                }
            }
        }
    }

    /**
     * Any single I/O error during recovery (the nth call, whatever it is) fails that recovery
     * with an IOException or does not matter; it never cuts or delivers anything a clean
     * recovery would not, and the next recovery equals a clean one.
     */
    @Test
    void anIoErrorAtAnyCallOfRecovery() throws Exception {
        WalRig.Base base = crashedWithWorkForRecovery();
        WalRig.Recovery clean;
        long m;
        try (WalRig rig = WalRig.from(base)) {
            WalReplay.replay(rig.fs(), Layout.WAL, f -> { });
            m = rig.faults.callCount();
        }
        try (WalRig rig = WalRig.from(base)) {
            clean = rig.recover();
        }
        int failed = 0;
        for (long n = 1; n <= m; n++) {
            try (WalRig rig = WalRig.from(base)) {
                rig.faults.failNthOverall(rig.faults.callCount() + n, n % 2 == 0 ? Fault.EIO : Fault.ENOSPC, Repeat.ONCE);
                List<WalModel.Seen> seen = new ArrayList<>();
                try {
                    WalReplay.Result r = WalReplay.replay(rig.fs(), Layout.WAL, f -> seen.add(WalModel.Seen.of(f)));
                    assertEquals(clean.frames(), seen, "a recovery that succeeded despite an error at call " + n);
                    assertEquals(clean.result().nextLsn(), r.nextLsn());
                } catch (IOException e) {
                    failed++;
                    assertTrue(clean.frames().subList(0, seen.size()).equals(seen), "delivered before the error at call " + n);
                }
                rig.faults.heal();
                rig.stop = Stop.POWER_LOSS;
                WalRig.Recovery again = rig.recover();
                assertEquals(clean.frames(), again.frames(), "after an error at call " + n);
                assertEquals(clean.result().nextLsn(), again.result().nextLsn(), "after an error at call " + n);
            }
        }
        assertTrue(failed > m / 2, failed + " of " + m + " errors failed the recovery");
    }
}
