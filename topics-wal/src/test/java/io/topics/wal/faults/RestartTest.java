package io.topics.wal.faults;

import static io.topics.wal.faults.WalRig.await;
import static io.topics.wal.faults.WalRig.awaitAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.topics.api.spi.durability.AckPoint;
import io.topics.testkit.storage.FakeStorage;
import io.topics.testkit.storage.TearMode;
import io.topics.wal.FrameType;
import io.topics.wal.Wal;
import io.topics.wal.WalOptions;
import io.topics.wal.WalReplay;
import io.topics.wal.faults.WalModel.Seen;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Restarts: shard-count changes with crashes in between, lsns never reused (invariant 3),
 * replay idempotent (invariant 4), re-appends after a crash, and the durability of what the
 * WAL creates and what recovery delivers.
 */
class RestartTest {
    /** Appends {@code n} frames round-robin over {@code topics}, cycling the ack points; returns the futures. */
    static List<CompletableFuture<Void>> burst(WalRig rig, long[] topics, Map<Long, Long> seqs, int n, AckPoint... acks) {
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t = topics[i % topics.length];
            long seq = seqs.merge(t, 1L, Long::sum);
            fs.add(rig.append(t, seq, 24 + (int) ((t * 37 + seq * 11) % 200), acks[i % acks.length]));
        }
        return fs;
    }

    static long[] topics(int n) {
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = 100 + i * 7919L;
        }
        return t;
    }

    static void awaitAcked(List<CompletableFuture<Void>> fs) {
        awaitAll(fs);
    }

    /** 1 → 4 → 2 → 3 shards with a power loss (each tear mode) between runs; global lsn order and topic order hold. */
    @Test
    void shardCountChanges1To4To2To3WithPowerLossesInBetween() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            long[] topics = topics(9);
            Map<Long, Long> seqs = new HashMap<>();
            int[] shardCounts = {1, 4, 2, 3};
            TearMode[] tears = {TearMode.CUT, TearMode.ZERO_SECTOR, TearMode.FLIP_BIT, TearMode.NONE};
            for (int run = 0; run < shardCounts.length; run++) {
                rig.start(WalRig.options(shardCounts[run], 8 << 10, true));
                awaitAcked(burst(rig, topics, seqs, 60, AckPoint.FORCED, AckPoint.WRITTEN, AckPoint.ENQUEUED));
                burst(rig, topics, seqs, 20, AckPoint.WRITTEN, AckPoint.FORCED); // in flight at the crash
                rig.powerLoss(run + 1, tears[run]);
                rig.recover();
            }
            rig.start(WalRig.options(2, 8 << 10, true));
            awaitAcked(burst(rig, topics, seqs, 30, AckPoint.FORCED));
            rig.closeClean();
            WalRig.Recovery r = rig.recover();
            Set<Integer> epochs = new HashSet<>();
            for (Seen s : r.frames()) {
                epochs.add(rig.model.entry(s.id()).epoch);
            }
            assertEquals(Set.of(0, 1, 2, 3, 4), epochs, "frames of every run come back, merged by lsn");
        }
    }

    /** The same with kills between the runs: every WRITTEN ack survives too. */
    @Test
    void shardCountChanges4To1To8WithKillsInBetween() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            long[] topics = topics(12);
            Map<Long, Long> seqs = new HashMap<>();
            for (int shards : new int[] {4, 1, 8}) {
                rig.start(WalRig.options(shards, 8 << 10, true));
                awaitAcked(burst(rig, topics, seqs, 50, AckPoint.WRITTEN, AckPoint.FORCED, AckPoint.WRITTEN));
                rig.kill();
                rig.recover();
            }
            rig.assertRecovered(150);
        }
    }

    /**
     * Invariant 3: after every crash the next WAL starts above every lsn on disk. Here the
     * newest file of the only shard keeps its (forced) header but loses all its frames, so its
     * name is the highest lsn left: the next WAL must not reuse lsns that file could hold, nor
     * trip over the file of the same name.
     */
    @Test
    void aNewestFileThatLostAllItsFramesDoesNotMakeTheNextRunReuseLsns() throws Exception {
        for (boolean preallocate : new boolean[] {false, true}) {
            try (WalRig rig = WalRig.onDurableShardDirs()) {
                rig.start(WalRig.options(1, 1024, preallocate));
                for (int i = 0; i < 12; i++) {
                    await(rig.append(1, i, 100, AckPoint.FORCED));
                }
                // a round that does not fit: a new file with a durable header, frames only written
                await(rig.append(1, 12, 600, AckPoint.WRITTEN));
                rig.powerLoss(5, TearMode.NONE);
                WalRig.Recovery r1 = rig.recover();
                assertEquals(12, r1.frames().size());
                rig.start(WalRig.options(1, 1024, preallocate));
                for (int i = 13; i < 20; i++) {
                    await(rig.append(1, i, 100, AckPoint.FORCED));
                }
                rig.powerLoss(6, TearMode.CUT);
                WalRig.Recovery r2 = rig.recover();
                assertEquals(19, r2.frames().size(), "preallocate " + preallocate);
            }
        }
    }

    /**
     * Two shards. Shard 0 rotates into file 5: its header is forced, its first round (lsn 5) is
     * only written, and so is lsn 4 on shard 1. A power loss keeps the header-only file 5 and
     * loses lsns 4 and 5. The name of file 5 reserves the lsns below it although it is not the
     * first file replay opens in its shard. Were recovery to return 4, the next run would write
     * lsns 4, 5, ... into a new file 4 that sorts before the old file 5: an older file without its
     * seal between two files of the new run, and a file holding lsns above the name of the file
     * after it, so truncation (and a checkpoint's replay, which skips files by name) would drop
     * frames.
     */
    @ParameterizedTest(name = "preallocate {0}")
    @ValueSource(booleans = {false, true})
    void aHeaderOnlyNewestFileReservesItsLsnsWhenItIsNotTheFirstFileOfItsShard(boolean preallocate)
            throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            WalOptions options = WalRig.options(2, 1024, preallocate);
            long a = WalRig.topicOn(0, 2, 0);
            long b = WalRig.topicOn(1, 2, 0);
            rig.start(options);
            for (int i = 0; i < 3; i++) {
                await(rig.append(a, i, 100, AckPoint.FORCED)); // lsns 0..2: shard 0, file 0
            }
            await(rig.append(b, 0, 100, AckPoint.FORCED)); // lsn 3: shard 1, file 3
            await(rig.append(b, 1, 100, AckPoint.WRITTEN)); // lsn 4, never forced
            await(rig.append(a, 3, 600, AckPoint.WRITTEN)); // lsn 5 does not fit: shard 0 rotates, never forced
            Path five = Layout.file(0, 5);
            rig.powerLoss(3, TearMode.NONE);
            byte[] left = rig.disk.bytes(five);
            assertTrue(left.length >= Layout.FILE_HEADER && Layout.frames(left).isEmpty(),
                    "file 5 kept its header and lost its frame");

            WalRig.Recovery r1 = rig.recover();
            assertEquals(4, r1.frames().size());
            assertEquals(5, r1.result().nextLsn(), "the name of file 5 reserves the lsns below 5");

            rig.start(options);
            for (int i = 4; i < 16; i++) {
                await(rig.append(a, i, 100, AckPoint.FORCED)); // 12 frames of 144 bytes: shard 0 rotates
            }
            rig.closeClean();
            WalRig.Recovery r2 = rig.recover();
            assertEquals(16, r2.frames().size());
            assertEquals(List.of(), r2.result().truncated(), "no older file ends without its seal");
            for (int s = 0; s < 2; s++) {
                List<Path> files = rig.disk.list(Layout.shardDir(s)).stream().filter(Layout::isWalFile).toList();
                for (int i = 0; i + 1 < files.size(); i++) {
                    long nextName = Long.parseLong(files.get(i + 1).getFileName().toString().substring(0, 20));
                    for (Layout.At f : Layout.frames(rig.disk.bytes(files.get(i)))) {
                        assertTrue(f.length() == Layout.FIXED || f.lsn() < nextName, files.get(i) + " holds lsn "
                                + f.lsn() + ", not below the name of the next file " + files.get(i + 1));
                    }
                }
            }
            // what truncation relies on: it keeps every frame at or above the lsn it truncates before
            FakeStorage copy = new FakeStorage();
            copy.restore(rig.disk.snapshot());
            Wal.truncateBefore(copy, Layout.WAL, 6);
            List<Long> kept = new ArrayList<>();
            WalReplay.replay(copy, Layout.WAL, f -> kept.add(f.lsn()));
            List<Long> expected = r2.frames().stream().map(Seen::lsn).filter(l -> l >= 6).toList();
            assertTrue(kept.containsAll(expected), "truncating before 6 kept " + kept + ", expected " + expected);
        }
    }

    /** Torn tails in two shards and a headerless newest file in a third: recovery cuts them once; the 2nd and 3rd cut nothing. */
    @Test
    void replayIsIdempotentAfterCuttingTornTailsInSeveralShards() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(3, 4096, false));
            long[] topics = topics(6);
            Map<Long, Long> seqs = new HashMap<>();
            awaitAcked(burst(rig, topics, seqs, 45, AckPoint.FORCED, AckPoint.WRITTEN));
            awaitAcked(burst(rig, topics, seqs, 12, AckPoint.WRITTEN));
            rig.closeClean();
            // media damage in the last frame of shard 0's and shard 2's newest file (now durable),
            // and a newest file that never got its header in shard 1
            int cut = 0;
            for (int s = 0; s < 3; s += 2) {
                List<java.nio.file.Path> files = rig.disk.list(Layout.shardDir(s)).stream().filter(Layout::isWalFile).toList();
                java.nio.file.Path newest = files.getLast();
                Layout.At last = Layout.frames(rig.disk.bytes(newest)).getLast();
                rig.disk.corrupt(newest, last.offset() + 10, new byte[] {(byte) 0xA5});
                rig.model.destroyed(last.id());
                cut++;
            }
            // named at the next lsn, as a crash between the rename and the header write leaves it
            long next = rig.model.entries().stream().filter(e -> e.state != WalModel.State.DESTROYED)
                    .mapToLong(e -> rig.model.location(e.id).lsn()).max().orElseThrow() + 1;
            java.nio.file.Path headerless = Layout.file(1, next);
            rig.plant(headerless, new byte[100]);
            WalRig.Recovery r = rig.recover();
            assertEquals(cut + 1, r.result().truncated().size(), r.result().truncated().toString());
            assertTrue(!rig.disk.exists(headerless), "the headerless newest file is removed");
            assertEquals(next, r.result().nextLsn());
        }
    }

    /**
     * Invariant 4 covers what recovery returns too. A headerless newest file named above every
     * frame on disk (a kill between the spare's rename and the header write, while lower lsns
     * were still queued on other shards) is removed by the first recovery, but its name already
     * raised that recovery's nextLsn; the second recovery returns a lower one. No lsn on disk is
     * reused, so the impact is low, but the same directory recovers to two different states.
     */
    @Test
    void removingAHeaderlessNewestFileDoesNotChangeNextLsnBetweenRecoveries() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(2, 64 << 10, false));
            for (int i = 0; i < 6; i++) {
                await(rig.append(WalRig.topicOn(i % 2, 2, 0), i, 32, AckPoint.FORCED));
            }
            rig.kill();
            rig.plant(Layout.file(1, 10), new byte[100]);
            rig.recover(); // replays three times and compares the nextLsn of each
        }
    }

    /**
     * At WAL level a retry after a crash is simply a new frame: the same topic, seq and body
     * appended again gets a new lsn above everything recovered, and both copies (when the first
     * survived) come back in lsn order. Deduplication is the engine's job (invariant 13).
     */
    @Test
    void reAppendingAfterACrashAddsNewFramesWithNewLsns() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(2, 8 << 10, false));
            List<long[]> sent = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                long topic = 1 + i % 4;
                rig.append(FrameType.APPEND, 0, topic, i, 5_000 + i, 64, i % 2 == 0 ? AckPoint.FORCED : AckPoint.WRITTEN);
                sent.add(new long[] {topic, i});
            }
            rig.powerLoss(8, TearMode.CUT);
            WalRig.Recovery first = rig.recover();
            long maxLsn = first.frames().isEmpty() ? -1 : first.frames().getLast().lsn();
            rig.start(WalRig.options(2, 8 << 10, false));
            List<CompletableFuture<Void>> retries = new ArrayList<>();
            for (long[] s : sent) {
                retries.add(rig.append(FrameType.APPEND, 0, s[0], s[1], 5_000 + s[1], 64, AckPoint.FORCED));
            }
            awaitAll(retries);
            rig.closeClean();
            WalRig.Recovery second = rig.recover();
            assertEquals(first.frames().size() + 20, second.frames().size());
            for (Seen s : second.frames().subList(first.frames().size(), second.frames().size())) {
                assertTrue(s.lsn() > maxLsn, "a retry gets a new lsn: " + s);
            }
        }
    }

    /** Close forces whatever is queued and written: a power loss right after loses nothing acked at any point. */
    @Test
    void aCleanCloseThenPowerLossKeepsEveryAckEvenEnqueued() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(4, 4096, true));
            long[] topics = topics(8);
            Map<Long, Long> seqs = new HashMap<>();
            burst(rig, topics, seqs, 200, AckPoint.ENQUEUED, AckPoint.WRITTEN, AckPoint.ENQUEUED, AckPoint.FORCED);
            rig.closeCleanThenPowerLoss();
            rig.recover();
            rig.assertRecovered(200);
        }
    }

    /** A kill keeps every WRITTEN ack, across rotations of preallocated files. */
    @Test
    void aKillKeepsEveryWrittenAck() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(2, 4096, true));
            long[] topics = topics(4);
            Map<Long, Long> seqs = new HashMap<>();
            awaitAcked(burst(rig, topics, seqs, 120, AckPoint.WRITTEN));
            rig.kill();
            rig.recover();
            rig.assertRecovered(120);
        }
    }

    // ---- the durability of directories the WAL creates -------------------------------------

    /**
     * On a fresh data directory the WAL creates {@code wal/} and {@code wal/shard-0/}. A FORCED
     * ack must survive a power loss, so both directory entries must be durable by then: the WAL
     * must force {@code /data} and {@code /data/wal}, not only the shard directory.
     */
    @Test
    void fsyncAcksOnAFreshDataDirectorySurviveAPowerLoss() throws Exception {
        try (WalRig rig = WalRig.onDataDirOnly()) {
            rig.start(WalRig.options(1, 64 << 10, false));
            for (int i = 0; i < 5; i++) {
                await(rig.append(1, i, 32, AckPoint.FORCED));
            }
            rig.powerLoss(1, TearMode.NONE);
            rig.recover();
            rig.assertRecovered(5);
        }
    }

    /** More shards after a restart: the new shard directories must be durable before their first FORCED ack. */
    @Test
    void fsyncAcksInAShardAddedAtRestartSurviveAPowerLoss() throws Exception {
        try (WalRig rig = new WalRig(new FakeStorage(Layout.shardDir(0)), new WalModel())) {
            rig.start(WalRig.options(1, 64 << 10, false));
            await(rig.append(1, 0, 32, AckPoint.FORCED));
            rig.closeClean();
            rig.recover();
            rig.start(WalRig.options(4, 64 << 10, false));
            for (int s = 1; s < 4; s++) {
                await(rig.append(WalRig.topicOn(s, 4, 0), 1, 32, AckPoint.FORCED));
            }
            rig.powerLoss(1, TearMode.NONE);
            rig.recover();
            rig.assertRecovered(4);
        }
    }

    // ---- the durability of what recovery delivers ------------------------------------------

    /**
     * After a kill, recovery delivers WRITTEN frames that are still only in the page cache. If
     * it does not force them, a power loss after the next run's fsync'd frames drops them while
     * the later frames survive: topic 1 comes back as seqs 5.. without 0..4, a hole (invariant
     * 2), and what the first recovery served is gone (invariant 4).
     */
    @Test
    void framesRecoveredAfterAKillSurviveAPowerLossAfterTheNextRun() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(1, 64 << 10, false));
            for (int i = 0; i < 5; i++) {
                await(rig.append(1, i, 32, AckPoint.WRITTEN));
            }
            rig.kill();
            rig.recover();
            rig.start(WalRig.options(1, 64 << 10, false));
            await(rig.append(1, 5, 32, AckPoint.FORCED));
            rig.powerLoss(1, TearMode.NONE);
            rig.recover();
        }
    }

    /**
     * The same with the default preallocated files, when the newest file happens to be exactly
     * full: replay has no zero tail to cut, so it forces nothing.
     */
    @Test
    void framesRecoveredFromAnExactlyFullPreallocatedFileSurviveALaterPowerLoss() throws Exception {
        int frame = Layout.FRAME_HEADER + 56;
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(1, Layout.FILE_HEADER + 10L * frame, true));
            for (int i = 0; i < 10; i++) {
                await(rig.append(1, i, 56, AckPoint.WRITTEN));
            }
            rig.kill();
            WalRig.Recovery r = rig.recover();
            assertEquals(List.of(), r.result().truncated());
            rig.start(WalRig.options(1, Layout.FILE_HEADER + 10L * frame, true));
            await(rig.append(1, 10, 56, AckPoint.FORCED));
            rig.powerLoss(1, TearMode.NONE);
            rig.recover();
        }
    }

    /**
     * Same root cause, worse outcome: the older run's file still has pending writes when the
     * power fails, one of them is torn, and since that file is no longer its shard's newest,
     * the torn frame followed by more log is reported as corruption: recovery refuses to start
     * after an ordinary power loss.
     */
    @Test
    void aPowerLossAfterKillRecoverAndRestartDoesNotMakeTheWalUnrecoverable() throws Exception {
        try (WalRig rig = WalRig.onDurableShardDirs()) {
            rig.start(WalRig.options(1, 64 << 10, false));
            await(rig.append(1, 0, 32, AckPoint.FORCED));
            for (int i = 1; i < 6; i++) {
                await(rig.append(1, i, 32, AckPoint.WRITTEN));
            }
            rig.kill();
            rig.recover();
            rig.start(WalRig.options(1, 64 << 10, false));
            await(rig.append(1, 6, 32, AckPoint.FORCED)); // forces only the new file
            rig.powerLoss(3, TearMode.CUT); // the only pending write left is in the old file
            rig.recover();
        }
    }
}
