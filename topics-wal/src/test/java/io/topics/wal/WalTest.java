package io.topics.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.topics.api.spi.durability.AckPoint;
import io.topics.api.storage.RealStorage;
import io.topics.api.storage.Storage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The WAL on the real file system: order, shards, rotation, torn tails, corruption. */
class WalTest {
    static final InstantSource CLOCK = InstantSource.fixed(java.time.Instant.ofEpochMilli(1_700_000_000_000L));
    final Storage fs = RealStorage.INSTANCE;

    @TempDir
    Path dir;

    /** What replay delivered, copied out of the window. */
    record Seen(long lsn, FrameType type, long topic, long seq, long ts, String payload) {
    }

    static ByteBuffer text(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    List<Seen> replay() throws IOException {
        List<Seen> seen = new ArrayList<>();
        WalReplay.replay(fs, dir, f -> {
            byte[] b = new byte[f.payload().remaining()];
            f.payload().duplicate().get(b);
            seen.add(new Seen(f.lsn(), f.type(), f.topicId(), f.seq(), f.ts(), new String(b, StandardCharsets.UTF_8)));
        });
        return seen;
    }

    static WalOptions options(int shards, long fileBytes) {
        return new WalOptions(shards, fileBytes, false, 1000);
    }

    @Test
    void replaySkipsFilesWhollyBelowItsStartingLsn() throws Exception {
        try (Wal wal = Wal.start(fs, dir, options(1, 4096), 0, CLOCK)) {
            for (int i = 0; i < 100; i++) {
                wal.append(FrameType.APPEND, 0, 1, i, i, text("x".repeat(100)), AckPoint.WRITTEN).get();
            }
        }
        List<Path> files = Files.list(dir.resolve("shard-0")).filter(p -> p.toString().endsWith(".wal")).sorted().toList();
        assertTrue(files.size() > 3, files.toString());
        long from = WalFiles.firstLsn(files.getLast());
        List<Long> seen = new ArrayList<>();
        WalReplay.Result r = WalReplay.replay(fs, dir, from, f -> seen.add(f.lsn()), p -> { });
        assertTrue(seen.get(0) >= WalFiles.firstLsn(files.get(files.size() - 2)), "first delivered lsn " + seen.get(0));
        assertEquals(100, r.nextLsn());
    }

    @Test
    void rereadReadsWhatReplayReadAndNothingWrittenSince() throws Exception {
        try (Wal wal = Wal.start(fs, dir, options(2, 4096), 0, CLOCK)) {
            for (int i = 0; i < 60; i++) {
                wal.append(FrameType.APPEND, 0, i % 3, i, i, text("y".repeat(90)), AckPoint.WRITTEN).get();
            }
        }
        List<Long> first = new ArrayList<>();
        WalReplay.Result r = WalReplay.replay(fs, dir, Long.MIN_VALUE, f -> first.add(f.lsn()), p -> { });
        // bytes that appear later at the end of a replayed file are not read again
        Path newest = Files.list(dir.resolve("shard-0")).filter(p -> p.toString().endsWith(".wal")).sorted().toList().getLast();
        Files.write(newest, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, StandardOpenOption.APPEND);
        List<Long> again = new ArrayList<>();
        WalReplay.reread(fs, r, 20, f -> again.add(f.lsn()));
        assertEquals(first.stream().filter(l -> l >= 20).toList(), again);
    }

    @Test
    void startingBelowAnExistingFilesNameIsRefused() throws Exception {
        try (Wal wal = Wal.start(fs, dir, options(1, 1 << 20), 0, CLOCK)) {
            wal.append(FrameType.APPEND, 0, 7, 1, 12, text("a"), AckPoint.WRITTEN).get();
        }
        long next = WalReplay.replay(fs, dir, f -> { }).nextLsn();
        try (Wal wal = Wal.start(fs, dir, options(1, 1 << 20), next, CLOCK)) {
            wal.append(FrameType.APPEND, 0, 7, 2, 13, text("b"), AckPoint.WRITTEN).get();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Wal.start(fs, dir, options(1, 1 << 20), next - 1, CLOCK));
        assertTrue(e.getMessage().contains("is named above the next lsn"), e.getMessage());
        Wal.start(fs, dir, options(1, 1 << 20), WalReplay.replay(fs, dir, f -> { }).nextLsn(), CLOCK).close();
    }

    @Test
    void framesComeBackInOrderWithEveryField() throws Exception {
        try (Wal wal = Wal.start(fs, dir, options(1, 1 << 20), 0, CLOCK)) {
            wal.append(FrameType.TOPIC_CREATE, 0, 7, 0, 11, text("orders"), AckPoint.FORCED).get();
            wal.append(FrameType.APPEND, 3, 7, 1, 12, text("{\"a\":1}"), AckPoint.WRITTEN).get();
            wal.append(FrameType.APPEND, 0, 7, 2, 13, text(""), AckPoint.ENQUEUED).get();
        }
        assertEquals(List.of(new Seen(0, FrameType.TOPIC_CREATE, 7, 0, 11, "orders"),
                new Seen(1, FrameType.APPEND, 7, 1, 12, "{\"a\":1}"),
                new Seen(2, FrameType.APPEND, 7, 2, 13, "")), replay());
        assertEquals(3, WalReplay.replay(fs, dir, f -> { }).nextLsn());
    }

    @Test
    void shardsMergeBackIntoOneOrderWhateverTheShardCount() throws Exception {
        long next;
        try (Wal wal = Wal.start(fs, dir, options(4, 1 << 20), 0, CLOCK)) {
            List<CompletableFuture<Void>> acks = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                acks.add(wal.append(FrameType.APPEND, 0, i % 13, i / 13, i, text("r" + i), AckPoint.WRITTEN));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get();
            next = wal.nextLsn();
        }
        assertTrue(Files.list(dir).count() > 1, "several shard directories");
        // restart with fewer shards: the old directories are still read
        try (Wal wal = Wal.start(fs, dir, options(2, 1 << 20), WalReplay.replay(fs, dir, f -> { }).nextLsn(), CLOCK)) {
            assertEquals(next, wal.nextLsn());
            for (int i = 400; i < 500; i++) {
                wal.append(FrameType.APPEND, 0, i % 13, i / 13, i, text("r" + i), AckPoint.FORCED).get();
            }
        }
        List<Seen> seen = replay();
        assertEquals(500, seen.size());
        Map<Long, Long> lastSeq = new HashMap<>();
        for (int i = 0; i < seen.size(); i++) {
            assertEquals(i, seen.get(i).lsn(), "global lsn order");
            assertEquals("r" + i, seen.get(i).payload());
            Long prev = lastSeq.put(seen.get(i).topic(), seen.get(i).seq());
            assertTrue(prev == null || prev < seen.get(i).seq(), "per-topic order");
        }
    }

    @Test
    void rotatesAndPreallocates() throws Exception {
        WalOptions small = new WalOptions(1, 4096, true, 1000);
        try (Wal wal = Wal.start(fs, dir, small, 0, CLOCK)) {
            for (int i = 0; i < 100; i++) {
                wal.append(FrameType.APPEND, 0, 1, i, i, text("x".repeat(100)), AckPoint.WRITTEN).get();
            }
            assertTrue(wal.stats().rotations() > 0);
        }
        List<Path> files = Files.list(dir.resolve("shard-0")).filter(p -> p.toString().endsWith(".wal")).sorted().toList();
        assertTrue(files.size() > 3, files.toString());
        assertTrue(Files.exists(dir.resolve("shard-0").resolve(WalShard.SPARE)), "the next file is prepared ahead");
        assertTrue(Files.size(files.get(0)) >= 4096, "preallocated to the file size (plus the seal)");
        List<Seen> seen = replay();
        assertEquals(100, seen.size());
        assertEquals(99, seen.get(99).seq());
        assertTrue(Files.size(files.get(files.size() - 1)) < 4096, "replay cut the zero-filled tail of the newest file");
    }

    @Test
    void aTornTailIsCutAndReportedAndEverythingBeforeItSurvives() throws Exception {
        try (Wal wal = Wal.start(fs, dir, options(1, 1 << 20), 0, CLOCK)) {
            for (int i = 0; i < 10; i++) {
                wal.append(FrameType.APPEND, 0, 1, i, i, text("payload-" + i), AckPoint.FORCED).get();
            }
        }
        Path file = Files.list(dir.resolve("shard-0")).findFirst().orElseThrow();
        long good = Files.size(file);
        byte[] whole = Files.readAllBytes(file);
        // tear the last frame in half, then add garbage
        Files.write(file, java.util.Arrays.copyOf(whole, whole.length - 9));
        Files.write(file, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
        WalReplay.Result r = WalReplay.replay(fs, dir, f -> { });
        assertEquals(9, r.frames());
        assertEquals(1, r.truncated().size(), r.truncated().toString());
        assertTrue(Files.size(file) < good);
        assertEquals(9, replay().size(), "recovering twice gives the same log");
        assertTrue(WalReplay.replay(fs, dir, f -> { }).truncated().isEmpty());
    }

    @Test
    void replayReportsItsProgressUpToOne() throws Exception {
        try (Wal wal = Wal.start(fs, dir, options(2, 1 << 16), 0, CLOCK)) {
            for (int i = 0; i < 10_000; i++) {
                wal.append(FrameType.APPEND, 0, i % 7, i, i, text("p" + i), AckPoint.WRITTEN);
            }
            wal.append(FrameType.APPEND, 0, 1, 1, 1, text("last"), AckPoint.FORCED).get();
        }
        List<Double> seen = new ArrayList<>();
        WalReplay.replay(fs, dir, f -> { }, seen::add);
        assertTrue(seen.size() >= 2, seen.toString());
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i) >= seen.get(i - 1), "progress never goes back: " + seen);
        }
        assertTrue(seen.get(0) > 0 && seen.get(0) < 1, seen.toString());
        assertEquals(1.0, seen.get(seen.size() - 1));
    }

    @Test
    void aGarbageLengthIsATornTailNotAnAllocation() throws Exception {
        try (Wal wal = Wal.start(fs, dir, options(1, 1 << 20), 0, CLOCK)) {
            wal.append(FrameType.APPEND, 0, 1, 1, 1, text("ok"), AckPoint.FORCED).get();
        }
        Path file = Files.list(dir.resolve("shard-0")).findFirst().orElseThrow();
        ByteBuffer huge = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(Integer.MAX_VALUE).putInt(7);
        Files.write(file, huge.array(), StandardOpenOption.APPEND);
        assertEquals(1, replay().size());
    }

    @Test
    void damageBeforeTheNewestFileIsCorruptionNotATail() throws Exception {
        try (Wal wal = Wal.start(fs, dir, options(1, 256), 0, CLOCK)) {
            for (int i = 0; i < 20; i++) {
                wal.append(FrameType.APPEND, 0, 1, i, i, text("abcdefghij".repeat(8)), AckPoint.FORCED).get();
            }
        }
        Path first = Files.list(dir.resolve("shard-0")).sorted().findFirst().orElseThrow();
        byte[] b = Files.readAllBytes(first);
        b[WalFiles.HEADER_BYTES + Frame.HEADER_BYTES + 3] ^= 0x40; // flip a payload bit of the first frame
        Files.write(first, b);
        WalCorruptionException e = assertThrows(WalCorruptionException.class, this::replay);
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        assertTrue(e.getMessage().contains(first.getFileName().toString()), e.getMessage());
    }

    @Test
    void aBadHeaderIsCorruption() throws Exception {
        try (Wal wal = Wal.start(fs, dir, options(1, 1 << 20), 0, CLOCK)) {
            wal.append(FrameType.APPEND, 0, 1, 1, 1, text("ok"), AckPoint.FORCED).get();
        }
        Path file = Files.list(dir.resolve("shard-0")).findFirst().orElseThrow();
        byte[] b = Files.readAllBytes(file);
        b[0] = 'X';
        Files.write(file, b);
        assertThrows(WalCorruptionException.class, this::replay);
    }

    @Test
    void aNewestFileThatNeverGotItsHeaderIsRemoved() throws Exception {
        try (Wal wal = Wal.start(fs, dir, options(1, 1 << 20), 0, CLOCK)) {
            wal.append(FrameType.APPEND, 0, 1, 1, 1, text("ok"), AckPoint.FORCED).get();
        }
        WalReplay.replay(fs, dir, f -> { }); // the recovery that came before the crashed run
        Path empty = dir.resolve("shard-0").resolve(WalFiles.fileName(5));
        Files.write(empty, new byte[100]);
        WalReplay.Result r = WalReplay.replay(fs, dir, f -> { });
        assertEquals(1, r.frames());
        assertFalse(Files.exists(empty));
        assertEquals(1, r.nextLsn(), "a removed file reserves no lsn, so every later recovery agrees");
    }

    @Test
    void writtenFramesAreAckedWithoutAForceAndForcedOnesWithOne() throws Exception {
        try (Wal wal = Wal.start(fs, dir, new WalOptions(1, 1 << 20, false, 60_000), 0, CLOCK)) {
            for (int i = 0; i < 5; i++) {
                wal.append(FrameType.APPEND, 0, 1, i, i, text("d"), AckPoint.WRITTEN).get(5, TimeUnit.SECONDS);
            }
            long forcesBefore = wal.stats().forces();
            wal.append(FrameType.APPEND, 0, 1, 5, 5, text("f"), AckPoint.FORCED).get(5, TimeUnit.SECONDS);
            assertEquals(forcesBefore + 1, wal.stats().forces());
            assertEquals(6, wal.stats().frames());
            long[] buckets = wal.forceLatency().cumulative();
            assertEquals(ForceLatency.BOUNDS_US.length + 1, buckets.length);
            assertTrue(buckets[buckets.length - 1] >= 1, "every force is timed");
            for (int i = 1; i < buckets.length; i++) {
                assertTrue(buckets[i] >= buckets[i - 1], "cumulative buckets");
            }
        }
    }

    @Test
    void writtenButUnforcedBytesGetABackgroundForce() throws Exception {
        try (Wal wal = Wal.start(fs, dir, new WalOptions(1, 1 << 20, false, 20), 0, CLOCK)) {
            wal.append(FrameType.APPEND, 0, 1, 1, 1, text("d"), AckPoint.WRITTEN).get(5, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (wal.stats().forces() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(wal.stats().forces() > 0, "the idle shard forced the disk-class bytes");
        }
    }
}
