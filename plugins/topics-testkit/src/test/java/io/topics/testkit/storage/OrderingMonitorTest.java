package io.topics.testkit.storage;

import static io.topics.testkit.storage.FakeStorageTest.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.topics.api.storage.StorageFile;
import io.topics.testkit.storage.OrderingMonitor.Event;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class OrderingMonitorTest {
    private static final Path DATA = Path.of("/data");
    private static final Path LOG = DATA.resolve("wal.log");
    private static final Path SNAP = DATA.resolve("snap");
    private static final Path TMP = DATA.resolve("snap.tmp");

    private final FakeStorage disk = new FakeStorage(DATA);
    private final FaultInjector faulty = new FaultInjector(disk);
    private final OrderingMonitor monitor = new OrderingMonitor(faulty);

    @Test
    void ackAfterTheCoveringForceIsFine() throws IOException {
        try (StorageFile f = monitor.open(LOG, true)) {
            write(f, 0, "0123456789");
            f.force();
            assertTrue(monitor.markAck(LOG, 10));
            write(f, 10, "abc");
            assertTrue(monitor.markAck(LOG, 10), "older bytes stay forced");
        }
        assertEquals(List.of(), monitor.violations());
        monitor.assertNoViolations();
    }

    @Test
    void ackBeforeTheForceIsAViolation() throws IOException {
        try (StorageFile f = monitor.open(LOG, true)) {
            write(f, 0, "0123456789");
            assertFalse(monitor.markAck(LOG, 10));
            f.force();
        }

        assertEquals(1, monitor.violations().size());
        assertTrue(monitor.violations().get(0).contains("bytes from offset 0 were not forced"),
                monitor.violations().get(0));
        assertThrows(AssertionError.class, monitor::assertNoViolations);
    }

    @Test
    void ackOfBytesNotYetWrittenIsAViolation() throws IOException {
        assertFalse(monitor.markAck(LOG, 5), "unknown file");
        try (StorageFile f = monitor.open(LOG, true)) {
            write(f, 0, "01234");
            f.force();
            assertFalse(monitor.markAck(LOG, 8), "ack on enqueue, before the write");
        }

        assertEquals(2, monitor.violations().size());
    }

    @Test
    void unforcedOverwriteBelowTheAckIsAViolation() throws IOException {
        try (StorageFile f = monitor.open(LOG, true)) {
            write(f, 0, "0123456789");
            f.force();
            write(f, 3, "X");

            assertFalse(monitor.markAck(LOG, 10));
            assertTrue(monitor.markAck(LOG, 3));
        }
    }

    @Test
    void unforcedTruncateBelowTheAckIsAViolation() throws IOException {
        try (StorageFile f = monitor.open(LOG, true)) {
            write(f, 0, "0123456789");
            f.force();
            f.truncate(4);

            assertFalse(monitor.markAck(LOG, 10));
            f.force();
            assertFalse(monitor.markAck(LOG, 10), "the cut bytes are gone");
            assertTrue(monitor.markAck(LOG, 4));
        }
    }

    @Test
    void anOpenHandleFollowsItsFileAcrossARename() throws IOException {
        try (StorageFile f = monitor.open(TMP, true)) {
            monitor.rename(TMP, SNAP);
            write(f, 0, "x");
            f.force();
        }

        assertEquals(SNAP, monitor.events().get(2).path());
        assertTrue(monitor.markAck(SNAP, 1));
        assertFalse(monitor.markAck(TMP, 1));
    }

    @Test
    void afterAFailedForceNoLaterForceCoversTheFile() throws IOException {
        faulty.failNth(StorageOp.FORCE, 1, FaultInjector.Fault.EIO, FaultInjector.Repeat.ONCE);
        try (StorageFile f = monitor.open(LOG, true)) {
            write(f, 0, "0123456789");
            assertThrows(IOException.class, f::force);
            f.force();

            assertFalse(monitor.markAck(LOG, 10));
        }
        assertTrue(monitor.violations().get(0).contains("a force of this file failed"), monitor.violations().get(0));
    }

    @Test
    void ackFromAnotherThreadIsChecked() throws Exception {
        StorageFile f = monitor.open(LOG, true);
        write(f, 0, "0123456789");
        Thread.ofPlatform().start(() -> monitor.markAck(LOG, 10)).join();

        assertEquals(1, monitor.violations().size());
        f.close();
    }

    @Test
    void eventIdsOrderWritesAndForces() throws IOException {
        try (StorageFile f = monitor.open(LOG, true)) {
            write(f, 0, "01234");
            long firstWrite = monitor.lastWrite(LOG);
            f.force();
            long force = monitor.lastForce(LOG);
            write(f, 5, "56789");

            assertTrue(firstWrite < force);
            assertTrue(force < monitor.lastWrite(LOG));
            assertTrue(monitor.forcedBefore(LOG, 5, force + 1));
            assertFalse(monitor.forcedBefore(LOG, 5, force), "the force itself had not completed");
            assertFalse(monitor.forcedBefore(LOG, 10, Long.MAX_VALUE));
        }
        assertEquals(0, monitor.lastForce(DATA.resolve("absent")));
    }

    @Test
    void failedForceIsRecordedButNotCountedAsAForce() throws IOException {
        faulty.failNth(StorageOp.FORCE, 1, FaultInjector.Fault.EIO, FaultInjector.Repeat.ONCE);
        try (StorageFile f = monitor.open(LOG, true)) {
            write(f, 0, "x");
            assertThrows(IOException.class, f::force);
        }

        assertEquals(0, monitor.lastForce(LOG));
        List<Event> events = monitor.events();
        assertEquals(List.of(StorageOp.OPEN, StorageOp.WRITE, StorageOp.FORCE, StorageOp.CLOSE),
                events.stream().map(Event::op).toList());
        assertTrue(events.get(2).failed());
        assertEquals(new Event(2, StorageOp.WRITE, LOG, null, 0, 1, false), events.get(1));
    }

    @Test
    void renameAfterForcePasses() throws IOException {
        try (StorageFile f = monitor.open(TMP, true)) {
            write(f, 0, "snapshot");
            f.force();
        }
        monitor.rename(TMP, SNAP);
        monitor.forceDirectory(DATA);

        monitor.assertRenameAfterForce(TMP);
        assertTrue(monitor.forcedBefore(SNAP, 8, Long.MAX_VALUE), "history follows the rename");
    }

    @Test
    void renameWithoutForceFails() throws IOException {
        try (StorageFile f = monitor.open(TMP, true)) {
            write(f, 0, "snapshot");
        }
        monitor.rename(TMP, SNAP);

        AssertionError e = assertThrows(AssertionError.class, () -> monitor.assertRenameAfterForce(TMP));
        assertTrue(e.getMessage().contains("never forced"), e.getMessage());
    }

    @Test
    void renameWithAWriteAfterTheForceFails() throws IOException {
        try (StorageFile f = monitor.open(TMP, true)) {
            write(f, 0, "snap");
            f.force();
            write(f, 4, "shot");
        }
        monitor.rename(TMP, SNAP);

        assertThrows(AssertionError.class, () -> monitor.assertRenameAfterForce(TMP));
    }

    @Test
    void assertRenameAfterForceFailsWhenThereWasNoRename() throws IOException {
        try (StorageFile f = monitor.open(TMP, true)) {
            write(f, 0, "snapshot");
            f.force();
        }

        AssertionError e = assertThrows(AssertionError.class, () -> monitor.assertRenameAfterForce(TMP));
        assertTrue(e.getMessage().contains("no rename"), e.getMessage());
    }

    @Test
    void deleteEndsAFilesHistory() throws IOException {
        try (StorageFile f = monitor.open(LOG, true)) {
            write(f, 0, "x");
            f.force();
        }
        monitor.delete(LOG);

        assertEquals(0, monitor.lastWrite(LOG));
        assertFalse(monitor.markAck(LOG, 1));
    }
}
