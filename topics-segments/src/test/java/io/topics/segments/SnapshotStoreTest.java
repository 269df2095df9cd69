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
        return new SnapshotStore(RealStorage.INSTANCE, dir.resolve("snapshots"));
    }

    private Path snaps() {
        return dir.resolve("snapshots");
    }

    private static ByteBuffer text(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return new String(a, StandardCharsets.UTF_8);
    }

    private List<Long> lsns(List<SnapshotStore.Loaded> loaded) {
        return loaded.stream().map(SnapshotStore.Loaded::lsn).toList();
    }

    @Test
    void noSnapshotIsEmpty() throws IOException {
        List<String> problems = new ArrayList<>();
        assertTrue(store().loadAll(problems).isEmpty());
        assertTrue(problems.isEmpty());
    }

    @Test
    void loadsOldestFirstAndKeepsTwo() throws IOException {
        SnapshotStore s = store();
        s.write(10, text("ten"));
        s.write(20, text("twenty"));
        s.write(30, text("thirty"));
        assertEquals(2, s.snapshots().size());
        List<SnapshotStore.Loaded> all = s.loadAll(new ArrayList<>());
        assertEquals(List.of(20L, 30L), lsns(all));
        assertEquals("thirty", text(all.get(1).payload()));
    }

    @Test
    void aDamagedSnapshotIsReportedAndSetAsideSoItNeverTakesAPlace() throws IOException {
        SnapshotStore s = store();
        s.write(10, text("ten"));
        s.write(20, text("twenty"));
        Path newest = s.snapshots().get(1);
        byte[] b = Files.readAllBytes(newest);
        b[SnapshotStore.HEADER_BYTES + 2] ^= 1;
        Files.write(newest, b);
        List<String> problems = new ArrayList<>();
        List<SnapshotStore.Loaded> all = s.loadAll(problems);
        assertEquals(List.of(10L), lsns(all));
        assertEquals("ten", text(all.get(0).payload()));
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).contains("checksum mismatch"), problems.get(0));
        assertTrue(Files.exists(snaps().resolve("00000000000000000020.snap.damaged")), "kept for a human to look at");
        s.write(30, text("thirty"));
        assertEquals(List.of(10L, 30L), lsns(s.loadAll(new ArrayList<>())), "the good fallback was not pruned");
    }

    @Test
    void truncatedOrRenamedSnapshotsAreRejected() throws IOException {
        SnapshotStore s = store();
        s.write(10, text("ten"));
        s.write(20, text("twenty"));
        Path newest = s.snapshots().get(1);
        byte[] b = Files.readAllBytes(newest);
        Files.write(newest, java.util.Arrays.copyOf(b, b.length - 3));
        Files.move(s.snapshots().get(0), snaps().resolve("00000000000000000099.snap"));
        List<String> problems = new ArrayList<>();
        assertTrue(s.loadAll(problems).isEmpty());
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.toString().contains("disagrees with the file name"), problems.toString());
        assertTrue(problems.toString().contains("disagrees with the file size"), problems.toString());
    }

    @Test
    void temporaryLeftoversAreRemovedAndNeverLoaded() throws IOException {
        SnapshotStore s = store();
        s.write(10, text("ten"));
        Files.writeString(snaps().resolve("00000000000000000020.snap.tmp"), "half");
        assertEquals(List.of(10L), lsns(s.loadAll(new ArrayList<>())));
        s.removeTemporary();
        assertEquals(List.of(snaps().resolve("00000000000000000010.snap")), Files.list(snaps()).toList());
    }
}
