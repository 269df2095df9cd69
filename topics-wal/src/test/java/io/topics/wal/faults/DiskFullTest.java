package io.topics.wal.faults;

import static io.topics.wal.faults.WalRig.await;
import static io.topics.wal.faults.WalRig.awaitFailure;
import static io.topics.wal.faults.WalRig.awaitSettled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.topics.api.spi.durability.AckPoint;
import io.topics.testkit.storage.FaultInjector.Fault;
import io.topics.testkit.storage.FaultInjector.Repeat;
import io.topics.testkit.storage.StorageOp;
import io.topics.testkit.storage.TearMode;
import io.topics.wal.WalOptions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Disk full (ENOSPC) at open, at preallocation (which runs on its own thread) and at rotation:
 * the failure surfaces as a failed WAL, never a hang; what was acked survives; recovery itself
 * needs no free space; a run on the freed disk works.
 */
class DiskFullTest {
    static IOException enospc() {
        return new IOException("No space left on device");
    }

    /** Restart on a disk with space again: the next run works and recovery keeps everything. */
    static void nextRunWorks(WalRig rig, WalOptions options, int acked) throws IOException {
        rig.recover();
        rig.start(options);
        for (int i = 0; i < 5; i++) {
            await(rig.append(777, 1_000 + i, 50, AckPoint.FORCED));
        }
        rig.closeClean();
        rig.recover();
        rig.assertRecovered(acked + 5);
    }

    static Stream<Arguments> spareFaults() {
        return Stream.of(
                Arguments.of("ENOSPC zero-filling the first spare", StorageOp.WRITE, 1),
                Arguments.of("ENOSPC forcing the first spare", StorageOp.FORCE, 1),
                Arguments.of("ENOSPC creating the first spare", StorageOp.OPEN, 1),
                Arguments.of("ENOSPC cutting the first spare (truncate)", StorageOp.TRUNCATE, 1));
    }

    /** The first file's preallocation fails on its thread: the first append fails (not hangs), the WAL is failed. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("spareFaults")
    void aFailedFirstPreallocationFailsTheFirstAppend(String name, StorageOp op, int nth) throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            WalOptions options = WalRig.options(1, 4096, true);
            rig.tap.failOn(op, Layout::isSpare, nth, true, DiskFullTest::enospc);
            rig.start(options);
            CompletableFuture<Void> first = rig.append(1, 0, 50, AckPoint.FORCED);
            assertTrue(awaitFailure(first).getMessage().contains("No space left"), first.toString());
            assertTrue(rig.wal.failed());
            awaitFailure(rig.append(1, 1, 50, AckPoint.WRITTEN));
            rig.closeClean();
            nextRunWorks(rig, options, 0);
        }
    }

    /** A short write (half, then ENOSPC) of the first spare's zeros, through the injector under the monitor. */
    @Test
    void aShortWriteOfTheFirstSpareFailsTheFirstAppend() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            WalOptions options = WalRig.options(1, 4096, true);
            rig.faults.failNth(StorageOp.WRITE, 1, Fault.SHORT_WRITE, Repeat.ONCE); // nothing else writes before the first append
            rig.start(options);
            awaitFailure(rig.append(1, 0, 50, AckPoint.FORCED));
            rig.kill();
            nextRunWorks(rig, options, 0);
        }
    }

    /**
     * The spare for the second file fails in the background: the WAL keeps writing its current
     * file, and fails only when it needs the spare, at the rotation; every earlier ack survives.
     */
    @Test
    void aFailedBackgroundPreallocationFailsTheWalAtTheNextRotationNotBefore() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            WalOptions options = WalRig.options(1, 2048, true);
            rig.tap.failOn(StorageOp.WRITE, Layout::isSpare, 2, true, DiskFullTest::enospc);
            rig.start(options);
            for (int i = 0; i < 14; i++) { // 14 frames of 144 bytes fill the 2 KiB file exactly
                await(rig.append(1, i, 100, i % 3 == 0 ? AckPoint.WRITTEN : AckPoint.FORCED));
            }
            assertTrue(!rig.wal.failed(), "the current file still has room");
            awaitFailure(rig.append(1, 14, 100, AckPoint.FORCED));
            assertTrue(rig.wal.failed());
            rig.powerLoss(1, TearMode.CUT);
            nextRunWorks(rig, options, 14); // the rotation forced the old file before it needed the spare
        }
    }

    static Stream<Arguments> fileFaults() {
        return Stream.of(
                Arguments.of("ENOSPC creating the shard directory", StorageOp.CREATE_DIRECTORIES, 2, Fault.ENOSPC),
                Arguments.of("ENOSPC creating the first file", StorageOp.OPEN, 1, Fault.ENOSPC),
                Arguments.of("short write of the first file's header", StorageOp.WRITE, 1, Fault.SHORT_WRITE),
                Arguments.of("ENOSPC forcing the first file's header", StorageOp.FORCE, 1, Fault.ENOSPC),
                Arguments.of("ENOSPC adding the first file to its directory", StorageOp.FORCE_DIRECTORY, 1, Fault.ENOSPC),
                Arguments.of("short write of the first round", StorageOp.WRITE, 2, Fault.SHORT_WRITE));
    }

    /** Without preallocation, each step of creating the first file failing for lack of space. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fileFaults")
    void aFullDiskWhileCreatingTheFirstFileFailsTheFirstAppend(String name, StorageOp op, int nth, Fault fault)
            throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            WalOptions options = WalRig.options(1, 64 << 10, false);
            rig.faults.failNth(op, nth, fault, Repeat.ALWAYS); // Wal.start's createDirectories is the 1st
            rig.start(options);
            List<CompletableFuture<Void>> fs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                fs.add(rig.append(1, i, 300, AckPoint.FORCED));
            }
            awaitSettled(fs);
            assertTrue(fs.stream().allMatch(CompletableFuture::isCompletedExceptionally), "nothing acked");
            assertTrue(rig.wal.failed());
            rig.kill();
            nextRunWorks(rig, options, 0);
        }
    }

    /** The disk fills for good in the middle of a busy run on four shards: every append settles, the acked ones survive. */
    @Test
    void aDiskThatFillsForGoodFailsEveryShardWithoutHanging() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            WalOptions options = WalRig.options(4, 2048, true);
            rig.start(options);
            rig.awaitSpares(4);
            List<CompletableFuture<Void>> fs = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                fs.add(rig.append(WalRig.topicOn(i % 4, 4, 0), i, 80, AckPoint.FORCED));
            }
            WalRig.awaitAll(fs);
            rig.faults.failNthOverall(rig.faults.callCount() + 1, Fault.ENOSPC, Repeat.ALWAYS);
            List<CompletableFuture<Void>> later = new ArrayList<>();
            for (int i = 40; i < 120; i++) {
                later.add(rig.append(WalRig.topicOn(i % 4, 4, 0), i, 80, i % 2 == 0 ? AckPoint.FORCED : AckPoint.WRITTEN));
            }
            awaitSettled(later);
            assertTrue(later.stream().allMatch(CompletableFuture::isCompletedExceptionally), "a full disk acks nothing");
            rig.closeClean(); // must not hang on the full disk
            rig.faults.heal();
            nextRunWorks(rig, options, 40);
        }
    }

    /** Recovery writes nothing: with every write and every new file refused, it still recovers (cutting torn tails). */
    @Test
    void recoveryNeedsNoFreeSpace() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            WalOptions options = WalRig.options(2, 4096, true);
            rig.start(options);
            for (int i = 0; i < 30; i++) {
                await(rig.append(WalRig.topicOn(i % 2, 2, 0), i, 80, i < 20 ? AckPoint.FORCED : AckPoint.WRITTEN));
            }
            rig.powerLoss(5, TearMode.ZERO_SECTOR);
            rig.faults.failNth(StorageOp.WRITE, 1, Fault.ENOSPC, Repeat.ALWAYS);
            rig.tap.failOn(StorageOp.OPEN, p -> !rig.disk.exists(p), 1, true, DiskFullTest::enospc);
            WalRig.Recovery r = rig.recover();
            assertEquals(0, rig.faults.callCount(StorageOp.WRITE), "recovery wrote nothing");
            assertTrue(r.frames().size() >= 20);
            rig.newStack();
            nextRunWorks(rig, options, 20);
        }
    }

    /** Closing while the spare is still being written on a full disk returns; nothing waits forever. */
    @Test
    void closingWhileTheSpareFailsOnAFullDiskDoesNotHang() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            WalOptions options = WalRig.options(3, 4096, true);
            rig.tap.failOn(StorageOp.WRITE, Layout::isSpare, 1, true, DiskFullTest::enospc);
            TapStorage.Gate held = rig.holdNextSpareOpen();
            rig.start(options);
            held.awaitArrived();
            rig.closeClean(); // releases the gate; the held spare then fails
            nextRunWorks(rig, options, 0);
        }
    }
}
