package io.topics.testkit.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.topics.api.storage.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FakeStorageTest {
    private static final Path DATA = Path.of("/data");
    private static final Path LOG = DATA.resolve("wal.log");

    private final FakeStorage disk = new FakeStorage(DATA);

    @Test
    void readsSeePendingWritesButOnlyForcedOnesAreDurable() throws IOException {
        try (StorageFile f = createDurably(LOG)) {
            write(f, 0, "hello ");
            f.force();
            write(f, 6, "world");
            assertEquals("hello world", read(f, 0, 100));
            assertEquals(11, f.size());
        }
        assertEquals("hello world", text(disk.bytes(LOG)));
        assertEquals("hello ", text(disk.durableBytes(LOG)));

        disk.crash();

        assertEquals("hello ", text(disk.bytes(LOG)));
    }

    @Test
    void createWithoutDirectoryForceIsLostEvenIfTheDataWasForced() throws IOException {
        try (StorageFile f = disk.open(LOG, true)) {
            write(f, 0, "forced data");
            f.force();
        }
        assertTrue(disk.exists(LOG));
        assertEquals(List.of(LOG), disk.list(DATA));
        assertThrows(IllegalArgumentException.class, () -> disk.durableBytes(LOG));

        disk.crash();

        assertFalse(disk.exists(LOG));
        assertEquals(List.of(), disk.list(DATA));
    }

    @Test
    void renameAndDeleteComeUndoneWithoutDirectoryForce() throws IOException {
        Path tmp = DATA.resolve("snap.tmp");
        Path snap = DATA.resolve("snap");
        Path old = DATA.resolve("old");
        writeDurably(snap, "v1");
        writeDurably(old, "old");
        writeDurably(tmp, "v2");

        disk.rename(tmp, snap);
        disk.delete(old);
        assertEquals(List.of(snap), disk.list(DATA));
        assertEquals("v2", text(disk.bytes(snap)));

        disk.crash();

        assertEquals(List.of(old, snap, tmp), disk.list(DATA));
        assertEquals("v1", text(disk.bytes(snap)));
        assertEquals("v2", text(disk.bytes(tmp)));
    }

    @Test
    void renameSurvivesOnceTheDirectoryIsForced() throws IOException {
        Path tmp = DATA.resolve("snap.tmp");
        Path snap = DATA.resolve("snap");
        writeDurably(snap, "v1");
        writeDurably(tmp, "v2");

        disk.rename(tmp, snap);
        disk.forceDirectory(DATA);
        disk.crash();

        assertEquals(List.of(snap), disk.list(DATA));
        assertEquals("v2", text(disk.bytes(snap)));
    }

    @Test
    void newDirectoryVanishesWithItsFilesUnlessItsParentIsForced() throws IOException {
        FakeStorage empty = new FakeStorage();
        Path wal = Path.of("/data/wal");
        Path file = wal.resolve("0.log");
        empty.createDirectories(wal);
        try (StorageFile f = empty.open(file, true)) {
            write(f, 0, "x");
            f.force();
        }
        empty.forceDirectory(wal);
        Set<Path> before = new HashSet<>(empty.list(wal));

        empty.crash();

        assertEquals(Set.of(file), before);
        assertFalse(empty.exists(file));
        assertFalse(empty.exists(Path.of("/data")));

        empty.createDirectories(wal);
        try (StorageFile f = empty.open(file, true)) {
            write(f, 0, "y");
            f.force();
        }
        empty.forceDirectory(wal);
        empty.forceDirectory(Path.of("/data"));
        empty.forceDirectory(Path.of("/"));
        empty.crash();

        assertEquals("y", text(empty.bytes(file)));
    }

    @Test
    void unforcedTruncateIsUndoneByACrash() throws IOException {
        try (StorageFile f = createDurably(LOG)) {
            write(f, 0, "0123456789");
            f.force();
            f.truncate(4);
            assertEquals(4, f.size());
            assertEquals("0123", text(disk.bytes(LOG)));
        }

        disk.crash();

        assertEquals("0123456789", text(disk.bytes(LOG)));
    }

    @Test
    void writePastTheEndLeavesAHoleOfZerosAndReadPastTheEndReturnsMinusOne() throws IOException {
        try (StorageFile f = disk.open(LOG, true)) {
            write(f, 0, "abcdef");
            f.truncate(2);
            write(f, 4, "z");
            assertArrayEquals(new byte[] {'a', 'b', 0, 0, 'z'}, disk.bytes(LOG));
            assertEquals(-1, f.read(ByteBuffer.allocate(1), 5));
        }
    }

    @Test
    void crashInvalidatesOpenHandles() throws IOException {
        StorageFile f = createDurably(LOG);
        write(f, 0, "a");

        disk.crash();

        IOException e = assertThrows(IOException.class, () -> write(f, 0, "b"));
        assertTrue(e.getMessage().contains("stale handle"), e.getMessage());
        assertThrows(IOException.class, f::force);
        assertDoesNotThrow(f::close);
        try (StorageFile again = disk.open(LOG, false)) {
            assertEquals(0, again.size());
        }
    }

    @Test
    void closedHandleRefusesCalls() throws IOException {
        StorageFile f = disk.open(LOG, true);
        f.close();

        assertThrows(ClosedChannelException.class, f::size);
    }

    @Test
    void killProcessKeepsWrittenBytesButNotTheirDurability() throws IOException {
        StorageFile f = createDurably(LOG);
        write(f, 0, "written, never forced");

        disk.killProcess();

        assertThrows(IOException.class, f::size);
        try (StorageFile again = disk.open(LOG, false)) {
            assertEquals("written, never forced", read(again, 0, 100));
        }
        disk.crash();
        assertEquals("", text(disk.bytes(LOG)));
    }

    @Test
    void snapshotRestoresDurableAndPendingStateAndCanBeReused() throws IOException {
        try (StorageFile f = createDurably(LOG)) {
            write(f, 0, "durable");
            f.force();
            write(f, 7, "+pending");
        }
        FakeStorage.Snapshot snapshot = disk.snapshot();
        StorageFile open = disk.open(LOG, false);

        for (int round = 0; round < 2; round++) {
            try (StorageFile f = disk.open(LOG, false)) {
                write(f, 0, "CHANGED");
                f.force();
            }
            disk.rename(LOG, DATA.resolve("moved"));
            disk.forceDirectory(DATA);

            disk.restore(snapshot);

            assertEquals(List.of(LOG), disk.list(DATA));
            assertEquals("durable+pending", text(disk.bytes(LOG)));
            assertEquals("durable", text(disk.durableBytes(LOG)));
        }
        assertThrows(IOException.class, open::size);
        try (StorageFile f = disk.open(LOG, false)) {
            write(f, 0, "forced after restore");
            f.force();
        }
        disk.crash();
        assertEquals("forced after restore", text(disk.bytes(LOG)));
    }

    @Test
    void corruptDamagesDurableBytesUnderPendingWrites() throws IOException {
        try (StorageFile f = createDurably(LOG)) {
            write(f, 0, "0123456789");
            f.force();
            write(f, 0, "AB");
        }

        disk.corrupt(LOG, 1, "xyz".getBytes(UTF_8));

        assertEquals("0xyz456789", text(disk.durableBytes(LOG)));
        assertEquals("AByz456789", text(disk.bytes(LOG)));
        disk.crash();
        assertEquals("0xyz456789", text(disk.bytes(LOG)));
    }

    @Test
    void callCountCountsEverySeamCall() throws IOException {
        long before = disk.callCount();
        try (StorageFile f = disk.open(LOG, true)) {
            write(f, 0, "a");
            f.force();
        }
        disk.exists(LOG);
        assertThrows(NoSuchFileException.class, () -> disk.open(DATA.resolve("missing"), false));

        assertEquals(6, disk.callCount() - before);
    }

    @Test
    void refusesWhatARealFileSystemRefuses() throws IOException {
        assertThrows(NoSuchFileException.class, () -> disk.open(Path.of("/nowhere/x"), true));
        assertThrows(NoSuchFileException.class, () -> disk.rename(DATA.resolve("absent"), LOG));
        assertThrows(IOException.class, () -> disk.open(DATA, true));
        disk.open(LOG, true).close();
        assertThrows(DirectoryNotEmptyException.class, () -> disk.delete(DATA));
        assertDoesNotThrow(() -> disk.delete(DATA.resolve("absent")));
        assertEquals(List.of(), disk.list(Path.of("/nowhere")));
    }

    @ParameterizedTest
    @EnumSource(value = TearMode.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void tearIsReproducibleForASeedAndVariesAcrossSeeds(TearMode mode) throws IOException {
        byte[] data = randomBytes(4096, 7);
        try (StorageFile f = createDurably(LOG)) {
            f.write(ByteBuffer.wrap(data), 512);
        }
        FakeStorage.Snapshot snapshot = disk.snapshot();

        Set<String> outcomes = new HashSet<>();
        for (long seed = 0; seed < 20; seed++) {
            byte[] first = crashFrom(snapshot, seed, mode);
            byte[] second = crashFrom(snapshot, seed, mode);
            assertArrayEquals(first, second, "seed " + seed);
            assertTorn(mode, data, first);
            outcomes.add(HexFormat.of().formatHex(first));
        }
        assertTrue(outcomes.size() >= 5, outcomes.size() + " distinct outcomes of 20");
    }

    @Test
    void crashWithoutTearDropsEveryPendingWrite() throws IOException {
        try (StorageFile f = createDurably(LOG)) {
            f.write(ByteBuffer.wrap(randomBytes(4096, 1)), 0);
        }
        disk.crash(42, TearMode.NONE);

        assertEquals(0, disk.bytes(LOG).length);
    }

    @Test
    void onlyTheLastPendingWriteIsTornAndEarlierOnesAreLost() throws IOException {
        try (StorageFile f = createDurably(LOG)) {
            write(f, 0, "durable|");
            f.force();
            write(f, 8, "lost|");
            write(f, 13, "torn");
        }

        disk.crash(3, TearMode.FLIP_BIT);

        byte[] after = disk.bytes(LOG);
        assertEquals(17, after.length);
        assertEquals("durable|", new String(after, 0, 8, UTF_8));
        assertArrayEquals(new byte[5], Arrays.copyOfRange(after, 8, 13));
        assertEquals(1, differingBits("torn".getBytes(UTF_8), Arrays.copyOfRange(after, 13, 17)));
    }

    @Test
    void tearPicksAFileBySeedAmongFilesThatSurvive() throws IOException {
        List<Path> files = List.of(DATA.resolve("a"), DATA.resolve("b"), DATA.resolve("c"));
        List<StorageFile> open = new ArrayList<>();
        for (Path p : files) {
            StorageFile f = createDurably(p);
            f.write(ByteBuffer.wrap(randomBytes(64, 3)), 0);
            open.add(f);
        }
        disk.open(DATA.resolve("never-durable"), true).write(ByteBuffer.wrap(randomBytes(64, 4)), 0);
        FakeStorage.Snapshot snapshot = disk.snapshot();

        Set<Path> torn = new HashSet<>();
        for (long seed = 0; seed < 30; seed++) {
            disk.restore(snapshot);
            String note = disk.crash(seed, TearMode.FLIP_BIT);
            List<Path> damaged = files.stream().filter(p -> disk.bytes(p).length > 0).toList();
            assertEquals(1, damaged.size(), note);
            assertTrue(note.contains(damaged.get(0).toString()), note);
            torn.add(damaged.get(0));
        }
        assertEquals(Set.copyOf(files), torn);
        assertFalse(disk.exists(DATA.resolve("never-durable")));
    }

    @Test
    void concurrentWritersDoNotLoseWrites() throws Exception {
        int threads = 4;
        int appends = 500;
        List<Thread> workers = new ArrayList<>();
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            Path file = DATA.resolve("t" + t);
            workers.add(Thread.ofPlatform().start(() -> {
                try (StorageFile f = disk.open(file, true)) {
                    for (int i = 0; i < appends; i++) {
                        f.write(ByteBuffer.wrap(new byte[] {(byte) i}), f.size());
                        if (i % 50 == 0) {
                            f.force();
                            disk.forceDirectory(DATA);
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    errors.add(e);
                }
            }));
        }
        for (Thread w : workers) {
            w.join();
        }

        assertEquals(List.of(), errors);
        for (int t = 0; t < threads; t++) {
            byte[] bytes = disk.bytes(DATA.resolve("t" + t));
            assertEquals(appends, bytes.length);
            for (int i = 0; i < appends; i++) {
                assertEquals((byte) i, bytes[i]);
            }
        }
    }

    private byte[] crashFrom(FakeStorage.Snapshot snapshot, long seed, TearMode mode) {
        disk.restore(snapshot);
        disk.crash(seed, mode);
        return disk.bytes(LOG);
    }

    // The write was 4096 bytes at offset 512 on an empty durable file.
    private static void assertTorn(TearMode mode, byte[] data, byte[] after) {
        switch (mode) {
            case CUT -> {
                assertTrue(after.length == 0 || after.length > 512, "length " + after.length);
                int kept = Math.max(0, after.length - 512);
                assertTrue(kept < data.length);
                assertArrayEquals(Arrays.copyOf(data, kept),
                        Arrays.copyOfRange(after, after.length - kept, after.length));
            }
            case ZERO_SECTOR -> {
                assertEquals(512 + data.length, after.length);
                byte[] written = Arrays.copyOfRange(after, 512, after.length);
                int first = -1;
                int last = -1;
                for (int i = 0; i < data.length; i++) {
                    if (written[i] != data[i]) {
                        assertEquals(0, written[i]);
                        first = first < 0 ? i : first;
                        last = i;
                    }
                }
                assertTrue(first >= 0, "nothing zeroed");
                assertEquals((first + 512) / 512, (last + 512) / 512, "one sector");
            }
            case FLIP_BIT -> {
                assertEquals(512 + data.length, after.length);
                assertEquals(1, differingBits(data, Arrays.copyOfRange(after, 512, after.length)));
            }
            case NONE -> throw new AssertionError("not a tear");
        }
    }

    private static int differingBits(byte[] a, byte[] b) {
        int bits = 0;
        for (int i = 0; i < a.length; i++) {
            bits += Integer.bitCount((a[i] ^ b[i]) & 0xff);
        }
        return bits;
    }

    private StorageFile createDurably(Path file) throws IOException {
        StorageFile f = disk.open(file, true);
        disk.forceDirectory(file.getParent());
        return f;
    }

    private void writeDurably(Path file, String content) throws IOException {
        try (StorageFile f = createDurably(file)) {
            write(f, 0, content);
            f.force();
        }
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] bytes = new byte[n];
        new Random(seed).nextBytes(bytes);
        for (int i = 0; i < n; i++) {
            bytes[i] |= 1; // never zero, so a zeroed byte is visible
        }
        return bytes;
    }

    static void write(StorageFile f, long position, String s) throws IOException {
        f.write(ByteBuffer.wrap(s.getBytes(UTF_8)), position);
    }

    static String read(StorageFile f, long position, int max) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(max);
        int n = f.read(buf, position);
        return n < 0 ? "" : new String(buf.array(), 0, n, UTF_8);
    }

    static String text(byte[] bytes) {
        return new String(bytes, UTF_8);
    }
}
