package io.topics.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.topics.testkit.storage.Bounded;
import io.topics.testkit.storage.FakeStorage;
import io.topics.testkit.storage.FaultInjector;
import io.topics.testkit.storage.OrderingMonitor;
import io.topics.testkit.storage.StorageOp;
import io.topics.testkit.storage.TearMode;
import io.topics.wal.WalOptions;

/**
 * The engine with its checkpoints and WAL on a fake disk: engine → {@link OrderingMonitor} →
 * {@link FaultInjector} → {@link FakeStorage}. Each {@link #open()} is a new process on the same
 * disk: a fresh stack, a fresh engine, full recovery.
 */
final class EngineRig implements AutoCloseable {
    static final Path DATA = Path.of("/data");
    static final WalOptions WAL = new WalOptions(2, 4096, false, 60_000);

    final FakeStorage disk;
    final TestingClock clock = new TestingClock(1_700_000_000_000L);
    final CheckpointPolicy policy;
    final List<OrderingMonitor> monitors = new ArrayList<>();
    FaultInjector faults;
    OrderingMonitor monitor;
    Engine engine;
    Checkpoints checkpoints;
    Recovery.Result recovery;

    EngineRig(FakeStorage disk, CheckpointPolicy policy) {
        this.disk = disk;
        this.policy = policy;
    }

    /** A rig on a copy of {@code base}. */
    static EngineRig from(FakeStorage.Snapshot base, CheckpointPolicy policy) {
        FakeStorage d = new FakeStorage();
        d.restore(base);
        return new EngineRig(d, policy);
    }

    /** Starts a process: new seam stack, new engine, recovery. */
    EngineRig open() throws IOException {
        return open(-1);
    }

    /** Like {@link #open()}, crashing after {@code crashAfter} seam calls of recovery (-1: never). */
    EngineRig open(long crashAfter) throws IOException {
        faults = new FaultInjector(disk);
        if (crashAfter >= 0) {
            faults.crashAfter(crashAfter);
        }
        monitor = new OrderingMonitor(faults);
        monitors.add(monitor);
        WalJournal journal = new WalJournal();
        engine = new Engine(clock, EngineLimits.DEFAULTS, DurableEngineTest.CLASSES, journal);
        checkpoints = new Checkpoints(engine, journal, monitor, DATA, policy, clock);
        Recovery.Result r = Recovery.run(monitor, DATA, engine, checkpoints, journal, WAL, clock, p -> { });
        recovery = r;
        return this;
    }

    /** A clean stop: the final checkpoint, then the WAL. */
    void shutdown() throws IOException {
        try {
            checkpoints.close();
        } finally {
            stopWal();
        }
    }

    /** {@code kill -9}: the old process's calls fail from now on, everything it wrote stays. */
    void kill() {
        faults.crashAfter(0);
        stopWal();
        disk.killProcess();
    }

    /** A power loss: the old process's calls fail, then the disk drops what was not durable. */
    String powerLoss(long seed, TearMode mode) {
        faults.crashAfter(0);
        stopWal();
        return disk.crash(seed, mode);
    }

    private void stopWal() {
        if (recovery == null) {
            return;
        }
        var w = recovery.wal();
        recovery = null;
        Bounded.run("Wal.close()", w::close, 10);
    }

    /**
     * Every rename of a temporary file came after a force with no write since (segments and
     * snapshots are whole before they take their name), and no monitor saw another violation.
     */
    void assertOrdering() {
        for (OrderingMonitor m : monitors) {
            m.assertNoViolations();
            for (OrderingMonitor.Event e : m.events()) {
                if (e.op() == StorageOp.RENAME && !e.failed() && e.path().toString().endsWith(".tmp")) {
                    m.assertRenameAfterForce(e.path());
                }
            }
        }
    }

    /** Everything readable in {@code topic}, for comparing states. */
    String read(String topic) throws Exception {
        return CheckpointsTest.readAll(engine, topic);
    }

    /** Every cursor's tombstone and records, and the topic's counts: see {@link CheckpointsTest#retentionView}. */
    String view(String topic) throws Exception {
        return CheckpointsTest.retentionView(engine, topic);
    }

    /** The next append to a durable topic after recovery gets head + 1. */
    void assertContinues(String topic) {
        long head = engine.state(topic, false).headSeq();
        assertEquals(head + 1, engine.append(topic, EngineTest.batch("\"next\"")).firstSeq(), topic);
    }

    @Override
    public void close() {
        if (recovery != null) {
            kill();
        }
    }
}
