package io.topics.wal.faults;

import static io.topics.wal.faults.WalRig.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.topics.api.spi.durability.AckPoint;
import io.topics.api.storage.StorageFile;
import io.topics.testkit.storage.OrderingMonitor.Event;
import io.topics.testkit.storage.StorageOp;
import io.topics.wal.FrameType;
import io.topics.wal.WalCorruptionException;
import io.topics.wal.WalReplay;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Garbage at the end of the newest file is a torn tail: cut, reported, never delivered, with
 * reads bounded by the file, not by a garbage length (invariant 5). Damage anywhere else is a
 * {@link WalCorruptionException} that names the file, and the failed recovery changes nothing
 * (invariant 6).
 */
class CorruptionTest {
    static final long ALIEN_ID = 999_999_999L;

    /** A closed WAL of {@code frames} FORCED frames, one per round, all durable. */
    static WalRig written(int shards, long fileBytes, boolean preallocate, int frames) throws IOException {
        WalRig rig = WalRig.onDurableShardDirs();
        rig.start(WalRig.options(shards, fileBytes, preallocate));
        for (int i = 0; i < frames; i++) {
            await(rig.append(WalRig.topicOn(i % shards, shards, 0), i, 100, AckPoint.FORCED));
        }
        rig.closeClean();
        return rig;
    }

    static List<Path> walFiles(WalRig rig, int shard) throws IOException {
        return rig.disk.list(Layout.shardDir(shard)).stream().filter(Layout::isWalFile).toList();
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    static byte[] junk(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        b[0] |= 1; // never all zero
        return b;
    }

    /** Crafted, checksum-valid frames that no append made. */
    static byte[] alienFrame(long lsn, byte type) {
        return Layout.frame(lsn, type, 0, 1, 1, 1, Layout.payload(ALIEN_ID, 60));
    }

    static Stream<Arguments> garbageTails() {
        List<Arguments> cases = List.of(
                Arguments.of("huge length 0x7fffffff", (Function<Long, byte[]>) next -> concat(Layout.le32(0x7fffffff), junk(16, 1))),
                Arguments.of("negative length -1", (Function<Long, byte[]>) next -> concat(Layout.le32(-1), junk(60, 2))),
                Arguments.of("length Integer.MIN_VALUE", (Function<Long, byte[]>) next -> concat(Layout.le32(Integer.MIN_VALUE), junk(60, 3))),
                Arguments.of("length 39, below the fixed part", (Function<Long, byte[]>) next -> concat(Layout.le32(39), junk(60, 4))),
                Arguments.of("the largest legal length in a short file", (Function<Long, byte[]>) next -> concat(Layout.le32(Layout.FIXED + (64 << 20)), junk(100, 5))),
                Arguments.of("zero length followed by data", (Function<Long, byte[]>) next -> concat(new byte[8], junk(30, 6))),
                Arguments.of("a partial length field", (Function<Long, byte[]>) next -> new byte[] {7, 1}),
                Arguments.of("a whole frame with a bad checksum", (Function<Long, byte[]>) next -> {
                    byte[] f = alienFrame(next, FrameType.APPEND.code());
                    f[5] ^= 0x10;
                    return f;
                }),
                Arguments.of("a checksum-valid frame of an unknown type", (Function<Long, byte[]>) next -> alienFrame(next, (byte) 99)),
                Arguments.of("a checksum-valid frame whose lsn goes back", (Function<Long, byte[]>) next -> alienFrame(0, FrameType.APPEND.code())),
                Arguments.of("a torn frame followed by a valid one", (Function<Long, byte[]>) next -> {
                    byte[] torn = alienFrame(next, FrameType.APPEND.code());
                    return concat(java.util.Arrays.copyOf(torn, 50), alienFrame(next + 1, FrameType.APPEND.code()));
                }),
                Arguments.of("random bytes", (Function<Long, byte[]>) next -> junk(300, 7)));
        return Stream.of(false, true).flatMap(pre -> cases.stream().map(a -> Arguments.of(
                a.get()[0] + (pre ? ", preallocated" : ""), a.get()[1], pre)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("garbageTails")
    void garbageAtTheEndOfTheNewestFileIsATornTail(String name, Function<Long, byte[]> garbage, boolean preallocate)
            throws Exception {
        try (WalRig rig = written(1, 16 << 10, preallocate, 20)) {
            Path newest = walFiles(rig, 0).getLast();
            byte[] before = rig.disk.bytes(newest);
            long end = Layout.frames(before).getLast().end();
            long total = before.length;
            rig.disk.corrupt(newest, end, garbage.apply(20L));
            WalRig.Recovery r = rig.recover();
            rig.assertRecovered(20);
            assertEquals(1, r.result().truncated().size(), r.result().truncated().toString());
            assertTrue(r.result().truncated().get(0).startsWith(newest + " at " + end), r.result().truncated().toString());
            assertEquals(end, rig.disk.bytes(newest).length, "cut at the last valid frame, on disk");
            assertEquals(20, r.result().nextLsn(), "a garbage frame does not move nextLsn");
            long read = rig.monitor.events().stream().filter(e -> e.op() == StorageOp.READ).mapToLong(Event::length).sum();
            assertTrue(read <= 3 * (2 * (total + 512) + (64 << 10)), "reads are bounded by the file, not the garbage: " + read);
        }
    }

    record Damage(String name, int fileIndex, DamageFn fn) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** The damaged file as it is named now, and what the error must say besides its name. */
    record Damaged(Path file, String mention) {
    }

    interface DamageFn {
        Damaged apply(WalRig rig, Path file, List<Layout.At> frames) throws IOException;
    }

    static Stream<Damage> olderFileDamage() {
        return Stream.of(
                new Damage("a payload bit flip in a middle frame", 0, (rig, f, frames) -> {
                    Layout.At at = frames.get(frames.size() / 2);
                    flip(rig, f, at.offset() + Layout.FRAME_HEADER + 20, 0x04);
                    return new Damaged(f, "checksum mismatch");
                }),
                new Damage("a bit flip in a length field", 0, (rig, f, frames) -> {
                    flip(rig, f, frames.get(3).offset() + 1, 0x01);
                    return new Damaged(f, "");
                }),
                new Damage("a zeroed sector among frames", 0, (rig, f, frames) -> {
                    rig.disk.corrupt(f, 1024, new byte[512]);
                    return new Damaged(f, "");
                }),
                new Damage("a damaged header magic", 1, (rig, f, frames) -> {
                    flip(rig, f, 1, 0x20);
                    return new Damaged(f, "bad magic");
                }),
                new Damage("a damaged header field (checksum mismatch)", 0, (rig, f, frames) -> {
                    flip(rig, f, 17, 0x02);
                    return new Damaged(f, "header checksum mismatch");
                }),
                new Damage("a checksum-valid frame of an unknown type", 0, (rig, f, frames) -> {
                    Layout.At at = frames.get(5);
                    byte[] orig = rig.disk.bytes(f);
                    byte[] frame = java.util.Arrays.copyOfRange(orig, (int) at.offset(), (int) at.end());
                    frame[8] = 99;
                    ByteBuffer.wrap(frame).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(4, Layout.crc(frame, 8, frame.length));
                    rig.disk.corrupt(f, at.offset(), frame);
                    return new Damaged(f, "unknown frame type 99");
                }),
                new Damage("a file cut in the middle of a frame", 0, (rig, f, frames) -> {
                    cut(rig, f, frames.get(10).offset() + 30);
                    return new Damaged(f, "runs past the end of the file");
                }),
                new Damage("a header lsn that does not match the file name", 1, (rig, f, frames) -> {
                    long first = frames.get(0).lsn();
                    Path renamed = f.resolveSibling(String.format("%020d.wal", first + 1));
                    rig.disk.rename(f, renamed);
                    rig.disk.forceDirectory(f.getParent());
                    return new Damaged(renamed, "does not match the file name");
                }));
    }

    static void flip(WalRig rig, Path f, long offset, int mask) {
        byte[] b = rig.disk.bytes(f);
        rig.disk.corrupt(f, offset, new byte[] {(byte) (b[(int) offset] ^ mask)});
    }

    static void cut(WalRig rig, Path f, long size) throws IOException {
        try (StorageFile h = rig.disk.open(f, false)) {
            h.truncate(size);
            h.force();
        }
    }

    /** Damage in a file that more log follows is corruption, named, and the failed recovery cuts nothing. */
    @ParameterizedTest(name = "{0}, preallocated {1}")
    @MethodSource("olderFileDamageCases")
    void damageInAnOlderFileIsCorruptionNamingTheFile(Damage damage, boolean preallocate) throws Exception {
        try (WalRig rig = written(1, 4096, preallocate, 80)) {
            List<Path> files = walFiles(rig, 0);
            assertTrue(files.size() >= 3, files.toString());
            Path target = files.get(damage.fileIndex());
            Damaged d = damage.fn().apply(rig, target, Layout.frames(rig.disk.bytes(target)));
            List<Path> files2 = walFiles(rig, 0);
            byte[][] before = files2.stream().map(rig.disk::bytes).toArray(byte[][]::new);
            WalCorruptionException e = assertThrows(WalCorruptionException.class,
                    () -> WalReplay.replay(rig.fs(), Layout.WAL, f -> { }));
            assertTrue(e.getMessage().contains(d.file().toString()), e.getMessage());
            assertTrue(e.getMessage().contains(d.mention()), e.getMessage());
            for (int i = 0; i < files2.size(); i++) {
                byte[] after = rig.disk.bytes(files2.get(i));
                if (files2.get(i).equals(d.file())) {
                    assertArrayEquals(before[i], after, "the failed recovery changed the damaged file");
                } else {
                    // a zero tail of an earlier preallocated file may be cut; no frame may change
                    int frames = (int) (Layout.frames(before[i]).isEmpty() ? Layout.FILE_HEADER
                            : Layout.frames(before[i]).getLast().end());
                    assertArrayEquals(java.util.Arrays.copyOf(before[i], frames),
                            java.util.Arrays.copyOf(after, Math.min(after.length, frames)),
                            "the failed recovery changed frames of " + files2.get(i));
                }
            }
        }
    }

    static Stream<Arguments> olderFileDamageCases() {
        return olderFileDamage().flatMap(d -> Stream.of(Arguments.of(d, false), Arguments.of(d, true)));
    }

    /** A damaged header on the newest file that holds frames is not "a file that never got its header". */
    @Test
    void aDamagedHeaderOnANewestFileWithFramesIsCorruptionNotARemoval() throws Exception {
        try (WalRig rig = written(1, 64 << 10, false, 10)) {
            Path newest = walFiles(rig, 0).getLast();
            flip(rig, newest, 0, 0x01);
            WalCorruptionException e = assertThrows(WalCorruptionException.class,
                    () -> WalReplay.replay(rig.fs(), Layout.WAL, f -> { }));
            assertTrue(e.getMessage().contains(newest.getFileName().toString()), e.getMessage());
            assertTrue(rig.disk.exists(newest), "the file was not removed");
        }
    }

    /** Damage in one shard of three: corruption names that shard's file, the healthy shards do not hide it. */
    @Test
    void damageInOneShardOfThreeIsCorruptionNamingItsFile() throws Exception {
        try (WalRig rig = written(3, 4096, true, 150)) {
            List<Path> files = walFiles(rig, 1);
            assertTrue(files.size() >= 2, files.toString());
            Path target = files.get(0);
            Layout.At at = Layout.frames(rig.disk.bytes(target)).get(4);
            flip(rig, target, at.offset() + 50, 0x80);
            WalCorruptionException e = assertThrows(WalCorruptionException.class,
                    () -> WalReplay.replay(rig.fs(), Layout.WAL, f -> { }));
            assertTrue(e.getMessage().contains("shard-1/" + target.getFileName()), e.getMessage());
            assertTrue(e.getMessage().contains("offset " + at.offset()), e.getMessage());
        }
    }

    /**
     * Observed, not endorsed: damage in the middle of the newest file (here: a bit flip in
     * fsync-acked frames) is treated as a torn tail. Recovery reports it, but cuts every frame
     * after it on disk, acked or not. This pins the current behaviour; see the report.
     */
    @Test
    void damageInTheMiddleOfTheNewestFileIsCutAndReported() throws Exception {
        try (WalRig rig = written(1, 64 << 10, false, 20)) {
            Path newest = walFiles(rig, 0).getLast();
            List<Layout.At> frames = Layout.frames(rig.disk.bytes(newest));
            Layout.At hit = frames.get(12);
            flip(rig, newest, hit.offset() + 60, 0x08);
            for (Layout.At a : frames.subList(12, frames.size())) {
                rig.model.destroyed(a.id());
            }
            WalRig.Recovery r = rig.recover();
            assertEquals(12, r.frames().size());
            assertEquals(1, r.result().truncated().size());
            assertTrue(r.result().truncated().get(0).contains(newest + " at " + hit.offset()), r.result().truncated().toString());
            assertTrue(r.result().truncated().get(0).contains("checksum mismatch"), r.result().truncated().toString());
        }
    }

    /**
     * Invariant 6: a sector of zeros over the last frames of an older file (media damage: a
     * lost write-back, a remapped sector) reads exactly like the preallocated zero tail, so the
     * frames vanish without a word although the next file proves more log followed. With one
     * shard the gap is even visible in the lsns (the next file starts at the lost frame's lsn + 1).
     */
    @Test
    void aZeroedTailOfAnOlderFileIsNotASilentlyShorterLog() throws Exception {
        try (WalRig rig = written(1, 4096, true, 80)) {
            Path older = walFiles(rig, 0).get(0);
            List<Layout.At> frames = Layout.frames(rig.disk.bytes(older));
            Layout.At last = frames.getLast();
            rig.disk.corrupt(older, last.offset(), new byte[(int) (last.end() - last.offset())]);
            assertSurfaced(rig, older);
        }
    }

    /** The same when the older file lost its tail at a frame boundary (a file-system repair, a bad copy). */
    @Test
    void anOlderFileCutAtAFrameBoundaryIsNotASilentlyShorterLog() throws Exception {
        try (WalRig rig = written(1, 4096, false, 80)) {
            Path older = walFiles(rig, 0).get(0);
            List<Layout.At> frames = Layout.frames(rig.disk.bytes(older));
            cut(rig, older, frames.get(frames.size() - 3).end());
            assertSurfaced(rig, older);
        }
    }

    private static void assertSurfaced(WalRig rig, Path older) {
        WalCorruptionException e = assertThrows(WalCorruptionException.class,
                () -> WalReplay.replay(rig.fs(), Layout.WAL, f -> { }));
        assertTrue(e.getMessage().contains(older + " offset "), e.getMessage());
        assertTrue(e.getMessage().contains("ends without its seal, and more log follows"), e.getMessage());
    }
}
