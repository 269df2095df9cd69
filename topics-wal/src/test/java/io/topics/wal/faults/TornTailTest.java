package io.topics.wal.faults;

import static io.topics.wal.faults.WalRig.await;
import static io.topics.wal.faults.WalRig.awaitAll;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.topics.api.spi.durability.AckPoint;
import io.topics.testkit.storage.StorageOp;
import io.topics.testkit.storage.TearMode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Torn and garbled tails after a power loss (invariants 1, 2, 5): each tear mode with several
 * seeds, at several round sizes and shard counts, preallocated or not. The last round of every
 * shard is WRITTEN (unforced), so the crash has something to tear; every FORCED ack survives,
 * nothing bogus is delivered, and what survives of each shard is a prefix.
 */
class TornTailTest {
    record Shape(int shards, int roundFrames, boolean preallocate, long fileBytes) {
        @Override
        public String toString() {
            return shards + " shard(s), rounds of " + roundFrames + (preallocate ? ", preallocated" : "")
                    + ", " + (fileBytes >> 10) + " KiB files";
        }
    }

    static Stream<Arguments> tears() {
        List<Shape> shapes = List.of(
                new Shape(1, 1, false, 64 << 10),
                new Shape(1, 8, false, 64 << 10),
                new Shape(3, 4, false, 4 << 10),
                new Shape(2, 16, true, 8 << 10));
        List<Arguments> out = new ArrayList<>();
        for (TearMode mode : List.of(TearMode.CUT, TearMode.ZERO_SECTOR, TearMode.FLIP_BIT)) {
            for (Shape shape : shapes) {
                for (long seed : new long[] {1, 2, 3}) {
                    out.add(Arguments.of(mode, seed, shape));
                }
            }
        }
        return out.stream();
    }

    /**
     * Writes one deterministic round of {@code n} frames on {@code shard}: the writer is held on
     * a one-frame round while the batch queues up behind it, so the batch is one write.
     */
    static List<CompletableFuture<Void>> round(WalRig rig, int shard, int shards, int n, AckPoint ack, long[] seq,
                                               int payloadBytes) {
        TapStorage.Gate gate = rig.tap.hold(StorageOp.WRITE,
                p -> p.startsWith(Layout.shardDir(shard)) && Layout.isWalFile(p));
        long topic = WalRig.topicOn(shard, shards, 0);
        long topic2 = WalRig.topicOn(shard, shards, 1);
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        fs.add(rig.append(topic, seq[0]++, payloadBytes, ack));
        gate.awaitArrived();
        for (int i = 0; i < n; i++) {
            fs.add(rig.append(i % 2 == 0 ? topic : topic2, seq[0]++, payloadBytes + i * 13, ack));
        }
        gate.release();
        return fs;
    }

    @ParameterizedTest(name = "{0} seed {1}, {2}")
    @MethodSource("tears")
    void aTornLastRoundIsCutAndEveryForcedAckSurvives(TearMode mode, long seed, Shape shape) throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(shape.shards(), shape.fileBytes(), shape.preallocate()));
            long[] seq = {0};
            for (int r = 0; r < 3; r++) {
                for (int s = 0; s < shape.shards(); s++) {
                    awaitAll(round(rig, s, shape.shards(), shape.roundFrames(), r == 1 ? AckPoint.WRITTEN : AckPoint.FORCED,
                            seq, 40 + 30 * r));
                }
            }
            for (int s = 0; s < shape.shards(); s++) {
                awaitAll(round(rig, s, shape.shards(), shape.roundFrames(), AckPoint.WRITTEN, seq, 90));
            }
            String note = rig.powerLoss(seed, mode);
            assertTrue(note.contains(".wal"), "the tear hit a WAL file: " + note);
            rig.recover();
            rig.assertRecovered(2 * shape.shards() * (shape.roundFrames() + 1));
        }
    }

    /** A tear in a round that mixes FORCED acks before it with ENQUEUED frames in it: only forced ones are owed. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void aTornRoundOfEnqueuedFramesAfterForcedOnesLosesNoForcedAck(TearMode mode) throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(1, 64 << 10, false));
            for (int i = 0; i < 10; i++) {
                await(rig.append(1, i, 50 + i, AckPoint.FORCED));
            }
            long[] seq = {10};
            List<CompletableFuture<Void>> enqueued = round(rig, 0, 1, 12, AckPoint.ENQUEUED, seq, 200);
            WalRig.waitUntil("the enqueued round was written", () -> rig.model.location(rig.model.entries().getLast().id) != null);
            rig.powerLoss(mode.ordinal(), mode);
            rig.recover();
            rig.assertRecovered(10);
            assertTrue(enqueued.stream().allMatch(CompletableFuture::isDone));
        }
    }

    static Stream<TearMode> modes() {
        return Stream.of(TearMode.NONE, TearMode.CUT, TearMode.ZERO_SECTOR, TearMode.FLIP_BIT);
    }

    /** Many power losses in a row, each tearing a different round, each followed by a new run on the same WAL. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void repeatedPowerLossesEachTearingTheTailNeverLoseAForcedAck(TearMode mode) throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            long[] seq = {0};
            for (int run = 0; run < 8; run++) {
                int shards = 1 + run % 3;
                rig.start(WalRig.options(shards, 2048, run % 2 == 0));
                for (int s = 0; s < shards; s++) {
                    awaitAll(round(rig, s, shards, 3, AckPoint.FORCED, seq, 60));
                    awaitAll(round(rig, s, shards, 5, AckPoint.WRITTEN, seq, 70));
                }
                rig.powerLoss(100 + run, mode);
                rig.recover();
            }
        }
    }
}
