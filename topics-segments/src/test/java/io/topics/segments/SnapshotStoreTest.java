package io.topics.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.topics.api.storage.RealStorage;

class SnapshotStoreTest {
    @TempDir
    Path dir;

    private SnapshotStore store() {
        return new SnapshotStore(RealStorage.INSTANCE, dir);
    }

    private static ByteBuffer text(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return new String(a, StandardCharsets.UTF_8);
    }

    @Test
    void noSnapshotIsEmpty() throws IOException {
        List<String> problems = new ArrayList<>();
        assertTrue(store().loadNewest(problems).isEmpty());
        assertTrue(problems.isEmpty());
    }

    @Test
    void loadsTheNewestAndKeepsTwo() throws IOException {
        SnapshotStore s = store();
        s.write(10, text("ten"));
        s.write(20, text("twenty"));
        s.write(30, text("thirty"));
        assertEquals(2, s.snapshots().size());
        SnapshotStore.Loaded l = s.loadNewest(new ArrayList<>()).orElseThrow();
        assertEquals(30, l.lsn());
        assertEquals("thirty", text(l.payload()));
    }

    @Test
    void aDamagedNewestFallsBackToThePreviousAndSaysSo() throws IOException {
        SnapshotStore s = store();
        s.write(10, text("ten"));
        s.write(20, text("twenty"));
        Path newest = s.snapshots().get(1);
        byte[] b = Files.readAllBytes(newest);
        b[SnapshotStore.HEADER_BYTES + 2] ^= 1;
        Files.write(newest, b);
        List<String> problems = new ArrayList<>();
        SnapshotStore.Loaded l = s.loadNewest(problems).orElseThrow();
        assertEquals(10, l.lsn());
        assertEquals("ten", text(l.payload()));
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).contains("checksum mismatch"), problems.get(0));
    }

    @Test
    void truncatedOrRenamedSnapshotsAreRejected() throws IOException {
        SnapshotStore s = store();
        s.write(10, text("ten"));
        s.write(20, text("twenty"));
        Path newest = s.snapshots().get(1);
        byte[] b = Files.readAllBytes(newest);
        Files.write(newest, java.util.Arrays.copyOf(b, b.length - 3));
        List<String> problems = new ArrayList<>();
        assertEquals(10, s.loadNewest(problems).orElseThrow().lsn());
        Files.move(s.snapshots().get(0), dir.resolve("00000000000000000099.snap"));
        Files.delete(newest);
        problems.clear();
        assertTrue(s.loadNewest(problems).isEmpty());
        assertTrue(problems.get(0).contains("disagrees with the file name"), problems.toString());
    }

    @Test
    void temporaryLeftoversAreRemovedAndNeverLoaded() throws IOException {
        SnapshotStore s = store();
        s.write(10, text("ten"));
        Files.writeString(dir.resolve("00000000000000000020.snap.tmp"), "half");
        assertEquals(10, s.loadNewest(new ArrayList<>()).orElseThrow().lsn());
        s.removeTemporary();
        assertEquals(List.of(dir.resolve("00000000000000000010.snap")), Files.list(dir).toList());
    }
}
