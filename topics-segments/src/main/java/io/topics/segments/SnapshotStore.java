package io.topics.segments;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.topics.api.storage.Storage;
import io.topics.api.storage.StorageFile;

/**
 * Snapshot files {@code <dir>/<lsn>.snap}: an opaque payload (the engine's state as of a WAL
 * position) framed with a magic, a version and a checksum. A new snapshot is written as
 * {@code tmp -> force -> rename -> force dir -> prune}, so a crash anywhere leaves the new one or
 * the previous one loadable, never neither. The two newest are kept: if the newest turns out
 * damaged, recovery falls back to the other (the engine keeps the WAL the older one needs). A
 * damaged snapshot is renamed aside ({@code .damaged}), so it never takes a place of the two.
 *
 * <pre>
 * header 24 B   magic "TSNP", version u16, 0 u16, lsn i64, payload length i64
 * payload
 * trailer 8 B   CRC32C of header and payload i32, magic "TSNE"
 * </pre>
 */
public final class SnapshotStore {
    static final int MAGIC = 0x504E5354; // "TSNP"
    static final int END_MAGIC = 0x454E5354; // "TSNE"
    static final short VERSION = 1;
    static final int HEADER_BYTES = 24;
    static final int TRAILER_BYTES = 8;
    static final String SUFFIX = ".snap";
    static final String TEMP_SUFFIX = ".snap.tmp";
    static final String DAMAGED_SUFFIX = ".damaged";
    /** Snapshots kept: the newest and one to fall back to. */
    public static final int KEEP = 2;

    private final Storage fs;
    private final Path dir;

    public SnapshotStore(Storage fs, Path dir) {
        this.fs = fs;
        this.dir = dir;
    }

    /** A loaded snapshot: the WAL position it covers and the engine's payload. */
    public record Loaded(long lsn, ByteBuffer payload, Path file) {
    }

    /** Writes a snapshot of the state as of {@code lsn} and prunes all but the {@link #KEEP} newest. */
    public void write(long lsn, ByteBuffer payload) throws IOException {
        if (!fs.exists(dir)) {
            fs.createDirectories(dir);
            fs.forceDirectory(dir.getParent()); // the directory's own entry must survive too
        }
        Path temp = dir.resolve(SegmentFormat.name(lsn, TEMP_SUFFIX));
        Path target = dir.resolve(SegmentFormat.name(lsn, SUFFIX));
        ByteBuffer p = payload.duplicate();
        ByteBuffer all = ByteBuffer.allocate(HEADER_BYTES + p.remaining() + TRAILER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        all.putInt(MAGIC).putShort(VERSION).putShort((short) 0).putLong(lsn).putLong(p.remaining()).put(p);
        all.putInt(SegmentFormat.crc(all, 0, all.position())).putInt(END_MAGIC).flip();
        fs.delete(temp);
        try (StorageFile f = fs.open(temp, true)) {
            f.write(all, 0);
            f.force();
        }
        fs.rename(temp, target);
        fs.forceDirectory(dir);
        List<Path> snaps = snapshots();
        for (int i = 0; i < snaps.size() - KEEP; i++) {
            fs.delete(snaps.get(i));
        }
        if (snaps.size() > KEEP) {
            fs.forceDirectory(dir);
        }
    }

    /**
     * Every snapshot that passes its checks, oldest first (the last is the newest). Each
     * damaged one is reported in {@code problems} and renamed aside: corruption is said, never
     * hidden, and a damaged file never counts as one of the snapshots kept.
     */
    public List<Loaded> loadAll(List<String> problems) throws IOException {
        List<Loaded> out = new ArrayList<>();
        for (Path s : snapshots()) {
            ByteBuffer all = read(s);
            String bad = check(s, all);
            if (bad == null) {
                ByteBuffer payload = all.slice(HEADER_BYTES, (int) all.getLong(16)).order(ByteOrder.LITTLE_ENDIAN);
                out.add(new Loaded(all.getLong(8), payload, s));
            } else {
                Path aside = s.resolveSibling(s.getFileName() + DAMAGED_SUFFIX);
                fs.rename(s, aside);
                fs.forceDirectory(dir);
                problems.add(s + ": " + bad + " (kept as " + aside.getFileName() + ")");
            }
        }
        return out;
    }

    /** Removes temporary files a crash left behind mid-write. */
    public void removeTemporary() throws IOException {
        boolean removed = false;
        for (Path p : fs.list(dir)) {
            if (p.getFileName().toString().endsWith(TEMP_SUFFIX)) {
                fs.delete(p);
                removed = true;
            }
        }
        if (removed) {
            fs.forceDirectory(dir);
        }
    }

    /** The snapshot files, oldest first. */
    public List<Path> snapshots() throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : fs.list(dir)) {
            if (lsnOf(p) >= 0) {
                out.add(p);
            }
        }
        return out;
    }

    private static String check(Path s, ByteBuffer all) {
        if (all.limit() < HEADER_BYTES + TRAILER_BYTES) {
            return "too short (" + all.limit() + " bytes)";
        }
        if (all.getInt(0) != MAGIC) {
            return "bad magic";
        }
        if (all.getShort(4) != VERSION) {
            return "unknown version " + all.getShort(4);
        }
        long lsn = all.getLong(8);
        if (lsn != lsnOf(s)) {
            return "lsn " + lsn + " disagrees with the file name";
        }
        long len = all.getLong(16);
        if (len < 0 || HEADER_BYTES + len + TRAILER_BYTES != all.limit()) {
            return "payload length " + len + " disagrees with the file size";
        }
        int end = (int) (HEADER_BYTES + len);
        if (all.getInt(end + 4) != END_MAGIC || all.getInt(end) != SegmentFormat.crc(all, 0, end)) {
            return "checksum mismatch";
        }
        return null;
    }

    private ByteBuffer read(Path s) throws IOException {
        try (StorageFile f = fs.open(s, false)) {
            long size = f.size();
            if (size > Integer.MAX_VALUE - 16) {
                throw new SegmentCorruptionException(s, "impossible size " + size);
            }
            return SegmentFormat.readFully(f, 0, (int) size);
        }
    }

    static long lsnOf(Path p) {
        return SegmentFormat.number(p, SUFFIX);
    }
}
