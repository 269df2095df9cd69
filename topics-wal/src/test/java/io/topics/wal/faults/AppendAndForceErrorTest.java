package io.topics.wal.faults;

import static io.topics.wal.faults.WalRig.await;
import static io.topics.wal.faults.WalRig.awaitFailure;
import static io.topics.wal.faults.WalRig.awaitSettled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.topics.api.spi.durability.AckPoint;
import io.topics.testkit.storage.FaultInjector.Fault;
import io.topics.testkit.storage.FaultInjector.Repeat;
import io.topics.testkit.storage.OrderingMonitor.Event;
import io.topics.testkit.storage.StorageOp;
import io.topics.testkit.storage.TearMode;
import io.topics.wal.FrameType;
import io.topics.wal.WalFailedException;
import io.topics.wal.WalOptions;
import io.topics.wal.faults.WalModel.State;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * WAL append and fsync errors (invariants 1, 14, 15): the failed round acks nothing, every
 * later append is refused even once the disk works again, and everything acked before the
 * failure survives the crash that follows.
 */
class AppendAndForceErrorTest {
    static final long TOPIC = 7;

    static Stream<Arguments> writeAndForceFaults() {
        return Stream.of(
                Arguments.of("EIO on the 1st frame write, once, then kill", StorageOp.WRITE, 1, Fault.EIO, Repeat.ONCE, false),
                Arguments.of("EIO on the 3rd frame write, once, then power loss", StorageOp.WRITE, 3, Fault.EIO, Repeat.ONCE, true),
                Arguments.of("EIO on every frame write from the 2nd, then kill", StorageOp.WRITE, 2, Fault.EIO, Repeat.ALWAYS, false),
                Arguments.of("ENOSPC on the 1st frame write, forever, then power loss", StorageOp.WRITE, 1, Fault.ENOSPC, Repeat.ALWAYS, true),
                Arguments.of("ENOSPC on the 3rd frame write, once, then kill", StorageOp.WRITE, 3, Fault.ENOSPC, Repeat.ONCE, false),
                Arguments.of("short write (half, then ENOSPC) on the 1st frame write, then kill", StorageOp.WRITE, 1, Fault.SHORT_WRITE, Repeat.ONCE, false),
                Arguments.of("short write on the 3rd frame write, then power loss", StorageOp.WRITE, 3, Fault.SHORT_WRITE, Repeat.ONCE, true),
                Arguments.of("short write on every frame write from the 2nd, then kill", StorageOp.WRITE, 2, Fault.SHORT_WRITE, Repeat.ALWAYS, false),
                Arguments.of("EIO on the 1st force, once, then power loss", StorageOp.FORCE, 1, Fault.EIO, Repeat.ONCE, true),
                Arguments.of("EIO on the 1st force, once, then kill", StorageOp.FORCE, 1, Fault.EIO, Repeat.ONCE, false),
                Arguments.of("EIO on the 3rd force, once, then power loss", StorageOp.FORCE, 3, Fault.EIO, Repeat.ONCE, true),
                Arguments.of("EIO on every force from the 2nd, then power loss", StorageOp.FORCE, 2, Fault.EIO, Repeat.ALWAYS, true),
                Arguments.of("ENOSPC on the 2nd force, once, then kill", StorageOp.FORCE, 2, Fault.ENOSPC, Repeat.ONCE, false));
    }

    /**
     * Acked frames first (forced and written), then one FORCED append per round until the
     * fault hits: the appends before it are acked, the one it hits fails, every later one is
     * refused at once, and that stays so after the disk heals. Recovery keeps every ack.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("writeAndForceFaults")
    void aFaultFailsItsRoundAndEveryLaterAppend(String name, StorageOp op, int nth, Fault fault, Repeat repeat,
                                                boolean powerLoss) throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(1, 64 << 10, false));
            for (int i = 0; i < 3; i++) {
                await(rig.append(TOPIC, i, 40 + i, AckPoint.FORCED));
            }
            for (int i = 3; i < 5; i++) {
                await(rig.append(TOPIC, i, 40 + i, AckPoint.WRITTEN));
            }
            rig.failFromNow(op, nth, fault, repeat);
            long seq = 5;
            for (int i = 1; i < nth; i++) {
                await(rig.append(TOPIC, seq++, 64, AckPoint.FORCED));
            }
            WalFailedException failed = awaitFailure(rig.append(TOPIC, seq++, 64, AckPoint.FORCED));
            assertTrue(failed.getCause() instanceof IOException, "the cause is the I/O error: " + failed.getCause());
            assertTrue(rig.wal.failed());
            assertTrue(rig.wal.stats().failed());
            assertThrows(WalFailedException.class, () -> rig.wal.append(FrameType.APPEND, 0, TOPIC, 99, 0,
                    ByteBuffer.allocate(8), AckPoint.WRITTEN), "a failed WAL refuses appends");
            rig.faults.heal();
            long refusedSeq = seq++;
            CompletableFuture<Void> afterHeal = rig.append(TOPIC, refusedSeq, 64, AckPoint.FORCED);
            awaitFailure(afterHeal);
            assertEquals(State.REFUSED, rig.model.entries().getLast().state,
                    "a healed disk does not revive a failed WAL (invariant 15)");
            long acked = rig.model.entries().stream().filter(e -> e.state == State.ACKED).count();
            assertEquals(5 + nth - 1, acked, "exactly the appends before the fault were acked");
            if (powerLoss) {
                rig.powerLoss(nth, TearMode.CUT);
            } else {
                rig.kill();
            }
            rig.recover();
            rig.assertRecovered(powerLoss ? 3 + nth - 1 : 5 + nth - 1);
        }
    }

    /**
     * One round of WRITTEN, ENQUEUED and FORCED frames whose force fails: the WRITTEN ones were
     * written, but the round is failed as a whole; nothing of it is acked except what the
     * ENQUEUED point acked at once (invariant 14).
     */
    @Test
    void aFailedForceAcksNothingOfItsRoundNotEvenTheWrittenFrames() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(1, 64 << 10, false));
            await(rig.append(TOPIC, 0, 32, AckPoint.FORCED));
            TapStorage.Gate gate = rig.holdNextWalWrite();
            CompletableFuture<Void> blocker = rig.append(TOPIC, 1, 32, AckPoint.FORCED);
            gate.awaitArrived();
            List<CompletableFuture<Void>> round = new ArrayList<>();
            AckPoint[] acks = {AckPoint.WRITTEN, AckPoint.ENQUEUED, AckPoint.FORCED, AckPoint.WRITTEN, AckPoint.FORCED};
            for (int i = 0; i < acks.length; i++) {
                round.add(rig.append(TOPIC, 2 + i, 48, acks[i]));
            }
            rig.failFromNow(StorageOp.FORCE, 2, Fault.EIO, Repeat.ONCE);
            gate.release();
            await(blocker);
            for (int i = 0; i < acks.length; i++) {
                if (acks[i] == AckPoint.ENQUEUED) {
                    assertTrue(round.get(i).isDone() && !round.get(i).isCompletedExceptionally());
                } else {
                    awaitFailure(round.get(i));
                }
            }
            rig.powerLoss(3, TearMode.FLIP_BIT);
            rig.recover();
            rig.assertRecovered(2);
        }
    }

    /** The writer is held while frames queue up behind a round whose write then fails: all of them fail. */
    @Test
    void appendsQueuedBehindAFailedWriteFailWithIt() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(2, 64 << 10, false));
            long t0 = WalRig.topicOn(0, 2, 0);
            await(rig.append(t0, 0, 32, AckPoint.FORCED));
            TapStorage.Gate gate = rig.holdNextWalWrite();
            List<CompletableFuture<Void>> all = new ArrayList<>();
            all.add(rig.append(t0, 1, 32, AckPoint.WRITTEN));
            gate.awaitArrived();
            for (int i = 2; i < 12; i++) {
                all.add(rig.append(t0, i, 32, i % 2 == 0 ? AckPoint.FORCED : AckPoint.WRITTEN));
            }
            rig.failFromNow(StorageOp.WRITE, 1, Fault.EIO, Repeat.ONCE);
            gate.release();
            for (CompletableFuture<Void> f : all) {
                awaitFailure(f);
            }
            rig.kill();
            rig.recover();
            rig.assertRecovered(1);
        }
    }

    /**
     * Invariant 15: after a failed force nothing may call it durable. The healed disk would let
     * a later force succeed; the WAL must not try: no force of that file follows the failed one,
     * not even at close.
     */
    @Test
    void noForceFollowsAFailedForceNotEvenAtClose() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(1, 64 << 10, false));
            await(rig.append(TOPIC, 0, 32, AckPoint.FORCED));
            await(rig.append(TOPIC, 1, 32, AckPoint.WRITTEN));
            rig.failFromNow(StorageOp.FORCE, 1, Fault.EIO, Repeat.ONCE);
            awaitFailure(rig.append(TOPIC, 2, 32, AckPoint.FORCED));
            rig.faults.heal();
            awaitFailure(rig.append(TOPIC, 3, 32, AckPoint.FORCED));
            rig.closeClean();
            List<Event> events = rig.monitors.get(0).events();
            Event failedForce = events.stream().filter(e -> e.op() == StorageOp.FORCE && e.failed()).findFirst().orElseThrow();
            List<Event> laterForces = events.stream()
                    .filter(e -> e.id() > failedForce.id() && e.op() == StorageOp.FORCE && e.path().equals(failedForce.path()))
                    .toList();
            assertEquals(List.of(), laterForces, "forces of " + failedForce.path() + " after the failed one");
            rig.recover();
            rig.assertRecovered(2);
        }
    }

    /** An idle shard's background force of WRITTEN frames fails: the WAL fails, the acked frames survive a kill. */
    @Test
    void aFailedBackgroundForceFailsTheWal() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(new WalOptions(1, 64 << 10, false, 20));
            await(rig.append(TOPIC, 0, 32, AckPoint.FORCED));
            rig.failFromNow(StorageOp.FORCE, 1, Fault.EIO, Repeat.ONCE);
            for (int i = 1; i < 4; i++) {
                await(rig.append(TOPIC, i, 32, AckPoint.WRITTEN));
            }
            WalRig.waitUntil("the background force failed the WAL", rig.wal::failed);
            awaitFailure(rig.append(TOPIC, 4, 32, AckPoint.WRITTEN));
            rig.kill();
            rig.recover();
            rig.assertRecovered(4);
        }
    }

    /** A background force that fails with an unchecked exception must fail the WAL too, not stop the writer. */
    @Test
    void anUncheckedErrorInTheBackgroundForceFailsTheWalInsteadOfHangingIt() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(new WalOptions(1, 64 << 10, false, 20));
            await(rig.append(TOPIC, 0, 32, AckPoint.FORCED));
            java.util.concurrent.atomic.AtomicInteger fired = new java.util.concurrent.atomic.AtomicInteger();
            rig.tap.failOn(StorageOp.FORCE, Layout::isWalFile, 1, false, () -> {
                fired.incrementAndGet();
                return new UncheckedIOException(new IOException("Input/output error"));
            });
            await(rig.append(TOPIC, 1, 32, AckPoint.WRITTEN));
            WalRig.waitUntil("the idle shard attempted its background force", () -> fired.get() > 0);
            CompletableFuture<Void> later;
            try {
                later = rig.append(TOPIC, 2, 32, AckPoint.WRITTEN);
            } catch (WalFailedException refused) {
                return; // fine: the failure surfaced
            }
            try {
                later.get(WalRig.TIMEOUT_S, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                assertTrue(e.getCause() instanceof WalFailedException, e.toString());
                return;
            } catch (TimeoutException e) {
                throw new AssertionError("the append after a failed background force hangs: the writer thread died", e);
            }
            assertTrue(rig.wal.failed(), "the background force failed, yet the WAL acked a later append");
        }
    }

    /**
     * {@code Wal.failed()} says "the WAL then refuses all writes" once any shard failed. A
     * failed force on one shard must make appends to every other shard fail too.
     */
    @Test
    void aFailedShardMakesEveryShardRefuse() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(2, 64 << 10, false));
            long t0 = WalRig.topicOn(0, 2, 0);
            long t1 = WalRig.topicOn(1, 2, 0);
            await(rig.append(t0, 0, 32, AckPoint.FORCED));
            await(rig.append(t1, 0, 32, AckPoint.FORCED));
            rig.failFromNow(StorageOp.FORCE, 1, Fault.EIO, Repeat.ONCE);
            awaitFailure(rig.append(t0, 1, 32, AckPoint.FORCED));
            assertTrue(rig.wal.failed());
            CompletableFuture<Void> other = rig.append(t1, 1, 32, AckPoint.FORCED);
            awaitFailure(other);
        }
    }

    /** The failed round's frames were half written (short write); a kill keeps the half; recovery cuts it. */
    @Test
    void aShortWriteLeavesATornTailThatRecoveryCuts() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(1, 64 << 10, false));
            await(rig.append(TOPIC, 0, 100, AckPoint.FORCED));
            TapStorage.Gate gate = rig.holdNextWalWrite();
            CompletableFuture<Void> blocker = rig.append(TOPIC, 1, 100, AckPoint.WRITTEN);
            gate.awaitArrived();
            List<CompletableFuture<Void>> round = new ArrayList<>();
            for (int i = 2; i < 7; i++) {
                round.add(rig.append(TOPIC, i, 100, AckPoint.FORCED));
            }
            rig.failFromNow(StorageOp.WRITE, 2, Fault.SHORT_WRITE, Repeat.ONCE);
            gate.release();
            await(blocker);
            round.forEach(WalRig::awaitFailure);
            rig.kill();
            WalRig.Recovery r = rig.recover();
            assertEquals(1, r.result().truncated().size(), "the half-written round is a torn tail: " + r.result().truncated());
            // frames wholly inside the written half may come back: unacked, allowed, and in order
            assertTrue(r.frames().size() >= 2 && r.frames().size() <= 4, r.frames().toString());
        }
    }

    /** Nothing acked is lost when the WAL fails with frames of several shards in flight, then the power fails. */
    @Test
    void aForceFailureOnOneShardLosesNoAckOfAnyShard() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(3, 64 << 10, false));
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                all.add(rig.append(WalRig.topicOn(i % 3, 3, 0), i, 40, i % 3 == 1 ? AckPoint.WRITTEN : AckPoint.FORCED));
            }
            WalRig.awaitAll(all);
            rig.failFromNow(StorageOp.FORCE, 4, Fault.EIO, Repeat.ALWAYS);
            // waves of one FORCED append per shard: every wave forces each shard once, so the
            // 4th force comes in the 2nd wave whatever group commit merges
            for (int wave = 0; wave < 5; wave++) {
                List<CompletableFuture<Void>> more = new ArrayList<>();
                for (int s = 0; s < 3; s++) {
                    more.add(rig.append(WalRig.topicOn(s, 3, 0), 30 + wave * 3 + s, 40, AckPoint.FORCED));
                }
                awaitSettled(more);
            }
            assertTrue(rig.wal.failed());
            rig.powerLoss(11, TearMode.ZERO_SECTOR);
            rig.recover();
        }
    }

    /** A failing close (its final force) surfaces as a failed WAL, not a hang, and loses no forced ack. */
    @Test
    void aFailedForceAtCloseLosesNoForcedAck() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(1, 64 << 10, false));
            await(rig.append(TOPIC, 0, 32, AckPoint.FORCED));
            await(rig.append(TOPIC, 1, 32, AckPoint.WRITTEN));
            rig.append(TOPIC, 2, 32, AckPoint.ENQUEUED);
            rig.failFromNow(StorageOp.FORCE, 1, Fault.EIO, Repeat.ALWAYS);
            rig.closeCleanThenPowerLoss();
            assertTrue(rig.walFailedAtStop, "the failed final force shows in failed()");
            rig.recover();
            rig.assertRecovered(1);
        }
    }

    /** The WAL refuses an append after close, and the refusal does not disturb what close made durable. */
    @Test
    void anAppendAfterCloseIsRefused() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(1, 64 << 10, false));
            rig.append(TOPIC, 0, 32, AckPoint.ENQUEUED);
            await(rig.append(TOPIC, 1, 32, AckPoint.WRITTEN));
            var wal = rig.wal;
            rig.closeCleanThenPowerLoss();
            assertThrows(WalFailedException.class, () -> wal.append(FrameType.APPEND, 0, TOPIC, 2, 0,
                    ByteBuffer.allocate(8), AckPoint.FORCED));
            assertFalse(rig.walFailedAtStop);
            rig.recover();
            rig.assertRecovered(2);
        }
    }

}
