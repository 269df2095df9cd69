package io.topics.testkit.storage;

import static io.topics.testkit.storage.FakeStorageTest.read;
import static io.topics.testkit.storage.FakeStorageTest.text;
import static io.topics.testkit.storage.FakeStorageTest.write;
import static io.topics.testkit.storage.FaultInjector.Fault.EIO;
import static io.topics.testkit.storage.FaultInjector.Fault.ENOSPC;
import static io.topics.testkit.storage.FaultInjector.Fault.SHORT_WRITE;
import static io.topics.testkit.storage.FaultInjector.Repeat.ALWAYS;
import static io.topics.testkit.storage.FaultInjector.Repeat.ONCE;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.topics.api.storage.RealStorage;
import io.topics.api.storage.Storage;
import io.topics.api.storage.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FaultInjectorTest {
    private static final Path DATA = Path.of("/data");
    private static final Path LOG = DATA.resolve("wal.log");
    private static final Path SNAP = DATA.resolve("snap");
    private static final Path TMP = DATA.resolve("snap.tmp");

    private final FakeStorage disk = new FakeStorage(DATA);
    private final FaultInjector faulty = new FaultInjector(disk);

    @Test
    void failsTheNthCallOfAKindOnce() throws IOException {
        faulty.failNth(StorageOp.FORCE, 2, EIO, ONCE);
        try (StorageFile f = faulty.open(LOG, true)) {
            assertDoesNotThrow(f::force);
            IOException e = assertThrows(IOException.class, f::force);
            assertEquals("Input/output error", e.getMessage());
            assertDoesNotThrow(f::force);
        }
        assertEquals(3, faulty.callCount(StorageOp.FORCE));
    }

    @Test
    void failsEveryCallOfAKindFromTheNthOnUntilHealed() throws IOException {
        faulty.failNth(StorageOp.WRITE, 2, ENOSPC, ALWAYS);
        try (StorageFile f = faulty.open(LOG, true)) {
            write(f, 0, "a");
            IOException e = assertThrows(IOException.class, () -> write(f, 1, "b"));
            assertEquals("No space left on device", e.getMessage());
            assertThrows(IOException.class, () -> write(f, 1, "c"));
            assertEquals("a", text(disk.bytes(LOG)), "a failed write must not reach the disk");

            faulty.heal();

            write(f, 1, "d");
        }
        assertEquals("ad", text(disk.bytes(LOG)));
    }

    @Test
    void failsTheNthCallOverallWhateverItIs() throws IOException {
        disk.open(LOG, true).close();
        disk.forceDirectory(DATA);
        faulty.failNthOverall(3, EIO, ONCE);
        try (StorageFile f = faulty.open(LOG, false)) {  // call 1
            write(f, 0, "data");                           // call 2
            assertThrows(IOException.class, f::force);     // call 3
            assertArrayEquals(new byte[0], disk.durableBytes(LOG));
            f.force();                                     // call 4
        }
        assertEquals("data", text(disk.durableBytes(LOG)));
        assertEquals(5, faulty.callCount());
    }

    @Test
    void shortWriteWritesHalfThenFails() throws IOException {
        faulty.failNth(StorageOp.WRITE, 1, SHORT_WRITE, ONCE);
        ByteBuffer src = ByteBuffer.wrap("0123456789".getBytes(UTF_8));
        try (StorageFile f = faulty.open(LOG, true)) {
            IOException e = assertThrows(IOException.class, () -> f.write(src, 0));
            assertEquals("No space left on device", e.getMessage());
        }
        assertEquals(5, src.position(), "the written half is consumed from the buffer");
        assertEquals("01234", text(disk.bytes(LOG)));
    }

    @Test
    void shortWriteOnACallThatIsNoWriteIsAnIoError() throws IOException {
        faulty.failNthOverall(1, SHORT_WRITE, ONCE);

        IOException e = assertThrows(IOException.class, () -> faulty.list(DATA));
        assertEquals("Input/output error", e.getMessage());
    }

    @Test
    void injectedExistsFailureAnswersFalse() throws IOException {
        faulty.open(LOG, true).close();
        faulty.failNth(StorageOp.EXISTS, 1, EIO, ONCE);

        assertFalse(faulty.exists(LOG));
        assertTrue(faulty.exists(LOG));
    }

    @Test
    void rejectsRulesThatCannotMatch() {
        assertThrows(IllegalArgumentException.class, () -> faulty.failNth(StorageOp.FORCE, 1, SHORT_WRITE, ONCE));
        assertThrows(IllegalArgumentException.class, () -> faulty.failNth(StorageOp.FORCE, 0, EIO, ONCE));
        assertThrows(IllegalArgumentException.class, () -> faulty.crashAfter(-1));
    }

    @Test
    void crashAfterKLetsKCallsRunThenStopsEverything() throws IOException {
        StorageFile f = faulty.open(LOG, true);   // before the crash point is set
        disk.forceDirectory(DATA);
        faulty.crashAfter(2);

        write(f, 0, "forced");                     // 1
        f.force();                                 // 2
        assertFalse(faulty.crashed());
        assertThrows(SimulatedCrash.class, () -> write(f, 6, "lost"));
        assertThrows(SimulatedCrash.class, () -> faulty.exists(LOG));
        assertThrows(SimulatedCrash.class, f::close);
        assertTrue(faulty.crashed());

        disk.crash();
        faulty.heal();

        try (StorageFile again = faulty.open(LOG, false)) {
            assertEquals("forced", read(again, 0, 100));
        }
    }

    @Test
    void callCountsAreDeterministicForARepeatedOperation() throws IOException {
        writeDurably(SNAP, "old");
        FakeStorage.Snapshot start = disk.snapshot();
        long[] counts = new long[2];
        long[] writes = new long[2];
        for (int run = 0; run < 2; run++) {
            disk.restore(start);
            FaultInjector counting = new FaultInjector(disk);
            replaceAtomically(counting, "new");
            counts[run] = counting.callCount();
            writes[run] = counting.callCount(StorageOp.WRITE);
        }
        assertEquals(6, counts[0]);
        assertEquals(counts[0], counts[1]);
        assertEquals(1, writes[1]);
    }

    @ParameterizedTest
    @EnumSource(TearMode.class)
    void crashPointSweepOfACorrectAtomicReplaceAlwaysLeavesOldOrNew(TearMode mode) throws IOException {
        writeDurably(SNAP, "old");
        pendingWriteElsewhere();
        Set<String> outcomes = sweep(mode, this::replaceAtomically);

        assertEquals(Set.of("old", "new"), outcomes);
    }

    @Test
    void crashPointSweepCatchesARenameBeforeForce() throws IOException {
        writeDurably(SNAP, "old");
        Set<String> outcomes = sweep(TearMode.NONE, (storage, content) -> {
            try (StorageFile f = storage.open(TMP, true)) {
                write(f, 0, content);
            }
            storage.rename(TMP, SNAP);
            storage.forceDirectory(DATA);
        });

        assertTrue(outcomes.contains(""), "an empty snapshot after some crash point: " + outcomes);
    }

    @Test
    void wrapsTheRealFileSystem(@TempDir Path dir) throws IOException {
        FaultInjector real = new FaultInjector(RealStorage.INSTANCE);
        Path file = dir.resolve("real.log");
        real.failNth(StorageOp.WRITE, 1, SHORT_WRITE, ONCE)
                .failNth(StorageOp.RENAME, 1, EIO, ONCE)
                .failNth(StorageOp.FORCE_DIRECTORY, 1, ENOSPC, ALWAYS);

        try (StorageFile f = real.open(file, true)) {
            assertThrows(IOException.class, () -> write(f, 0, "abcdefgh"));
            assertEquals("abcd", Files.readString(file));
            write(f, 4, "EFGH");
            f.force();
        }
        assertEquals("abcdEFGH", Files.readString(file));
        Path moved = dir.resolve("moved.log");
        assertThrows(IOException.class, () -> real.rename(file, moved));
        assertTrue(Files.exists(file));
        real.rename(file, moved);
        assertEquals(List.of(moved), real.list(dir));
        IOException e = assertThrows(IOException.class, () -> real.forceDirectory(dir));
        assertEquals("No space left on device", e.getMessage());

        real.crashAfter(0);
        assertThrows(SimulatedCrash.class, () -> real.delete(moved));
        assertTrue(Files.exists(moved));
    }

    private interface Operation {
        void run(Storage storage, String content) throws IOException;
    }

    // Runs op once to count its calls, then once per crash point k in 0..M, each from the same
    // start, crashing the disk (tearing by mode) after call k; returns what SNAP held afterwards.
    private Set<String> sweep(TearMode mode, Operation op) throws IOException {
        FakeStorage.Snapshot start = disk.snapshot();
        FaultInjector counting = new FaultInjector(disk);
        op.run(counting, "new");
        long calls = counting.callCount();

        Set<String> outcomes = new HashSet<>();
        for (long k = 0; k <= calls; k++) {
            for (long seed = 0; seed < 3; seed++) {
                disk.restore(start);
                FaultInjector crashing = new FaultInjector(disk).crashAfter(k);
                try {
                    op.run(crashing, "new");
                } catch (SimulatedCrash expected) {
                    assertTrue(k < calls, "crashed although all " + calls + " calls fit before call " + k);
                }
                assertEquals(k < calls, crashing.crashed());
                disk.crash(seed, mode);
                outcomes.add(disk.exists(SNAP) ? text(disk.bytes(SNAP)) : "<missing>");
            }
        }
        return outcomes;
    }

    private void replaceAtomically(Storage storage, String content) throws IOException {
        try (StorageFile f = storage.open(TMP, true)) {
            write(f, 0, content);
            f.force();
        }
        storage.rename(TMP, SNAP);
        storage.forceDirectory(DATA);
    }

    // Something for a tear to hit that the swept operation does not own.
    private void pendingWriteElsewhere() throws IOException {
        try (StorageFile f = disk.open(LOG, true)) {
            disk.forceDirectory(DATA);
            write(f, 0, "unforced bytes of another file");
        }
    }

    private void writeDurably(Path file, String content) throws IOException {
        try (StorageFile f = disk.open(file, true)) {
            write(f, 0, content);
            f.force();
        }
        disk.forceDirectory(file.getParent());
    }
}
