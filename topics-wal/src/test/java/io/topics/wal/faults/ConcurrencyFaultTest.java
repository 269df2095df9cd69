package io.topics.wal.faults;

import static io.topics.wal.faults.WalRig.awaitSettled;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.topics.api.spi.durability.AckPoint;
import io.topics.testkit.storage.FaultInjector.Fault;
import io.topics.testkit.storage.FaultInjector.Repeat;
import io.topics.testkit.storage.StorageOp;
import io.topics.testkit.storage.TearMode;
import io.topics.wal.faults.WalModel.State;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Many threads appending FORCED, WRITTEN and ENQUEUED frames to their own topics on several
 * shards while a fault hits: every future settles, every ack the crash kind promises is
 * recovered, and each topic comes back in its append order.
 */
class ConcurrencyFaultTest {
    static final AckPoint[] ACKS = {AckPoint.FORCED, AckPoint.WRITTEN, AckPoint.ENQUEUED};
    static final int THREADS = 8;
    static final int PER_THREAD = 60;

    /**
     * Runs {@link #THREADS} appenders, each on two topics of its own, waiting for its futures
     * every 8 appends; thread 0 runs {@code midway} halfway through.
     */
    static void hammer(WalRig rig, Runnable midway) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> error = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().name("appender-" + t).start(() -> {
                try {
                    go.await();
                    long a = 1_000 + 2L * id;
                    long seq = 0;
                    List<CompletableFuture<Void>> mine = new ArrayList<>();
                    for (int i = 0; i < PER_THREAD; i++) {
                        mine.add(rig.append(i % 2 == 0 ? a : a + 1, seq++, 20 + (i * 37 + id * 11) % 180,
                                ACKS[(i + id) % ACKS.length]));
                        if (i % 8 == 7) {
                            awaitSettled(mine);
                            mine.clear();
                        }
                        if (id == 0 && i == PER_THREAD / 2) {
                            midway.run();
                        }
                    }
                    awaitSettled(mine);
                } catch (Throwable e) {
                    error.compareAndSet(null, e);
                }
            }));
        }
        go.countDown();
        for (Thread th : threads) {
            th.join(TimeUnit.SECONDS.toMillis(20));
            if (th.isAlive()) {
                throw new AssertionError(th.getName() + " still appending after 20 s: the WAL hangs");
            }
        }
        if (error.get() != null) {
            throw new AssertionError("an appender failed: " + error.get(), error.get());
        }
    }

    static long count(WalRig rig, State state) {
        return rig.model.entries().stream().filter(e -> e.state == state).count();
    }

    /** Without preallocation, so the next FORCE after arming is a WAL force, not a spare's. */
    @Test
    void aForceFailureUnderLoadThenPowerLoss() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(4, 8 << 10, false));
            hammer(rig, () -> rig.failFromNow(StorageOp.FORCE, 1, Fault.EIO, Repeat.ONCE));
            assertTrue(rig.wal.failed(), "a force after arming failed");
            assertTrue(count(rig, State.ACKED) > 0 && count(rig, State.FAILED) + count(rig, State.REFUSED) > 0);
            rig.powerLoss(21, TearMode.CUT);
            rig.recover();
        }
    }

    @Test
    void shortWritesForeverUnderLoadThenKill() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(3, 4 << 10, false));
            hammer(rig, () -> rig.failFromNow(StorageOp.WRITE, 1, Fault.SHORT_WRITE, Repeat.ALWAYS));
            assertTrue(rig.wal.failed());
            rig.kill();
            // a short write of a new file's header leaves a headerless newest file (known nextLsn drift)
            rig.tolerateNextLsnDrift = true;
            rig.recover();
        }
    }

    /** A crash point in the middle of concurrent rounds and rotations on four shards, then a torn power loss. */
    @ParameterizedTest(name = "crash after {0} more calls")
    @ValueSource(ints = {0, 7, 40, 160})
    void aCrashPointUnderLoadThenTornPowerLoss(int calls) throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(4, 4 << 10, true));
            hammer(rig, () -> rig.faults.crashAfter(calls));
            rig.powerLoss(calls, TearMode.FLIP_BIT);
            rig.recover();
            assertTrue(!rig.model.lastRecovered().isEmpty(), "the acks before the crash point were recovered");
        }
    }

    /** A kill while the appenders are still running: every WRITTEN and FORCED ack survives. */
    @Test
    void aKillInTheMiddleOfTheLoad() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(4, 4 << 10, true));
            hammer(rig, rig::kill);
            assertTrue(count(rig, State.REFUSED) + count(rig, State.FAILED) > 0, "the kill cut the load short");
            rig.recover();
        }
    }

    /** Close while the appenders run: queued frames are written and forced, so even ENQUEUED acks survive a power loss. */
    @Test
    void aCloseRacingTheAppendersKeepsEveryAckThroughAPowerLoss() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(3, 8 << 10, true));
            hammer(rig, rig::closeCleanThenPowerLoss);
            assertTrue(count(rig, State.REFUSED) > 0, "appends after close are refused");
            rig.recover();
        }
    }

    /** Load across a change of shard count: 2 shards, power loss under load, then 5 shards, kill under load. */
    @Test
    void loadAcrossRestartsWithDifferentShardCounts() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(2, 4 << 10, true));
            hammer(rig, () -> rig.faults.crashAfter(25));
            rig.powerLoss(5, TearMode.ZERO_SECTOR);
            rig.recover();
            rig.start(WalRig.options(5, 4 << 10, false));
            hammer(rig, rig::kill);
            rig.recover();
        }
    }
}
