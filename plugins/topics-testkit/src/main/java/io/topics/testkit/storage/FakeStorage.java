package io.topics.testkit.storage;

import static java.util.Objects.requireNonNull;

import io.topics.api.storage.Storage;
import io.topics.api.storage.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory disk that loses what a power loss loses. Per file it keeps the durable bytes and
 * the pending (unforced) writes and truncates in order; creates, renames and deletes are pending
 * until {@link #forceDirectory} of their parent, and a directory survives a crash only if every
 * ancestor's entry is durable too. Reads and {@link #list} see the current view (durable plus
 * pending). Thread-safe: one lock, so the WAL writer thread and test threads can share it, and
 * its handles may be used from any thread.
 *
 * <p>{@link #crash} is a power loss, {@link #killProcess} a {@code kill -9}; both invalidate
 * every open handle (later calls throw {@link IOException}, {@code close()} is a no-op). Paths are
 * keyed by {@link Path#normalize()}; use absolute paths such as {@code /data/wal}. Renaming
 * directories is not supported.
 */
public final class FakeStorage implements Storage {
    private int boots;
    private static final int SECTOR = 512;
    private static final int MAX_FILE_SIZE = Integer.MAX_VALUE - 16;

    private final AtomicLong calls = new AtomicLong();
    // Guarded by this. An inode is shared by both maps while its entry is durable.
    private Map<Path, Inode> current = new HashMap<>();
    private Map<Path, Inode> durable = new HashMap<>();
    // Bumped by crash, kill and restore: handles opened in an older generation are dead.
    private long generation;

    /**
     * An empty disk holding {@code durableDirectories} (and their ancestors) durably, like a
     * data directory that existed before the test.
     */
    public FakeStorage(Path... durableDirectories) {
        for (Path dir : durableDirectories) {
            for (Path d = normalize(dir); !isRoot(d); d = parentOf(d)) {
                Inode node = current.computeIfAbsent(d, k -> Inode.directory());
                durable.put(d, node);
            }
        }
    }

    @Override
    public synchronized StorageFile open(Path file, boolean create) throws IOException {
        calls.incrementAndGet();
        Path p = normalize(file);
        Inode node = current.get(p);
        if (node == null && !isRoot(p)) {
            if (!create) {
                throw new NoSuchFileException(file.toString());
            }
            requireDirectory(parentOf(p), file);
            node = Inode.file();
            current.put(p, node);
        }
        if (node == null || node.directory) {
            throw new FileSystemException(file.toString(), null, "Is a directory");
        }
        return new FakeFile(node, p, generation);
    }

    @Override
    public synchronized boolean exists(Path path) {
        calls.incrementAndGet();
        Path p = normalize(path);
        return isRoot(p) || current.containsKey(p);
    }

    @Override
    public synchronized List<Path> list(Path dir) {
        calls.incrementAndGet();
        Path p = normalize(dir);
        if (!isDirectory(p)) {
            return List.of();
        }
        return current.keySet().stream()
                .filter(k -> p.equals(parentOf(k)))
                .map(k -> dir.resolve(k.getFileName()))
                .sorted()
                .toList();
    }

    @Override
    public synchronized void createDirectories(Path dir) throws IOException {
        calls.incrementAndGet();
        Deque<Path> chain = new ArrayDeque<>();
        for (Path d = normalize(dir); !isRoot(d); d = parentOf(d)) {
            chain.push(d);
        }
        for (Path d : chain) {
            Inode node = current.get(d);
            if (node == null) {
                current.put(d, Inode.directory());
            } else if (!node.directory) {
                throw new FileAlreadyExistsException(d.toString());
            }
        }
    }

    @Override
    public synchronized void rename(Path from, Path to) throws IOException {
        calls.incrementAndGet();
        Path f = normalize(from);
        Path t = normalize(to);
        Inode node = current.get(f);
        if (node == null) {
            throw new NoSuchFileException(from.toString());
        }
        if (node.directory) {
            throw new FileSystemException(from.toString(), null, "FakeStorage does not rename directories");
        }
        if (f.equals(t)) {
            return;
        }
        requireDirectory(parentOf(t), to);
        if (isDirectory(t)) {
            throw new FileSystemException(to.toString(), null, "Is a directory");
        }
        current.remove(f);
        current.put(t, node);
    }

    @Override
    public synchronized void delete(Path file) throws IOException {
        calls.incrementAndGet();
        Path p = normalize(file);
        Inode node = current.get(p);
        if (node == null) {
            return;
        }
        if (node.directory && current.keySet().stream().anyMatch(k -> p.equals(parentOf(k)))) {
            throw new DirectoryNotEmptyException(file.toString());
        }
        current.remove(p);
    }

    @Override
    public synchronized void forceDirectory(Path dir) throws IOException {
        calls.incrementAndGet();
        Path p = normalize(dir);
        if (!isDirectory(p)) {
            throw new NoSuchFileException(dir.toString());
        }
        durable.keySet().removeIf(k -> p.equals(parentOf(k)));
        current.forEach((k, node) -> {
            if (p.equals(parentOf(k))) {
                durable.put(k, node);
            }
        });
    }

    /** A power loss without tearing: only durable state survives. */
    public String crash() {
        return crash(0, TearMode.NONE);
    }

    /**
     * A power loss: drops every pending write, truncate and directory operation, except that
     * with a tear mode the last pending write of one surviving file (chosen by {@code seed}) is
     * partially applied on top of the durable bytes. Invalidates every open handle. The same
     * seed on the same state gives the same result.
     *
     * @return what was torn, for assertion messages
     */
    public synchronized String crash(long seed, TearMode mode) {
        requireNonNull(mode, "mode is null");
        Map<Path, Inode> survivors = survivingEntries();
        Random random = new Random(seed);
        String note = "nothing torn";
        Inode tornFile = null;
        Write tornWrite = null;
        if (mode != TearMode.NONE) {
            List<Map.Entry<Path, Inode>> candidates = new ArrayList<>();
            for (Map.Entry<Path, Inode> e : survivors.entrySet()) {
                Inode node = e.getValue();
                if (!node.directory && node.lastWrite() != null) {
                    candidates.add(e);
                }
            }
            if (!candidates.isEmpty()) {
                Map.Entry<Path, Inode> chosen = candidates.get(random.nextInt(candidates.size()));
                tornFile = chosen.getValue();
                Write last = tornFile.lastWrite();
                tornWrite = tear(last, mode, random);
                note = mode + " of the " + last.data.length + "-byte write at " + last.position
                        + " of " + chosen.getKey() + ": " + describe(last, tornWrite);
            }
        }
        for (Inode node : survivors.values()) {
            if (!node.directory) {
                node.pending.clear();
                if (node == tornFile) {
                    tornWrite.applyTo(node.durable);
                }
                node.current = node.durable.copy();
            }
        }
        current = new HashMap<>(survivors);
        durable = new HashMap<>(survivors);
        generation++;
        boots++;
        return note;
    }

    /**
     * A killed process: every write already made reached the OS and stays (still pending, so a
     * later {@link #crash} can lose it); only open handles become invalid.
     */
    public synchronized void killProcess() {
        generation++;
    }

    /** Changes with every {@link #crash} (a power loss restarts the machine), not with a kill. */
    @Override
    public synchronized String bootId() {
        return "fake-boot-" + boots;
    }

    /** A deep copy of the whole disk, durable and pending, to {@link #restore} later. */
    public synchronized Snapshot snapshot() {
        Map<Inode, Inode> copies = new IdentityHashMap<>();
        return new Snapshot(copy(current, copies), copy(durable, copies));
    }

    /** Puts the disk back into the snapshot's state (reusable); invalidates open handles. */
    public synchronized void restore(Snapshot snapshot) {
        requireNonNull(snapshot, "snapshot is null");
        Map<Inode, Inode> copies = new IdentityHashMap<>();
        current = copy(snapshot.current, copies);
        durable = copy(snapshot.durable, copies);
        generation++;
    }

    /** The bytes a reader sees now (durable plus pending); throws when {@code file} is not a file. */
    public synchronized byte[] bytes(Path file) {
        return requireFile(current.get(normalize(file)), file).current.toArray();
    }

    /** The bytes that would survive a crash without tearing; throws when the file would not. */
    public synchronized byte[] durableBytes(Path file) {
        return requireFile(survivingEntries().get(normalize(file)), file).durable.toArray();
    }

    /**
     * Overwrites durable bytes of {@code file} with {@code with} at {@code offset} (extending it
     * with zeros if needed), as media damage would: pending writes over the range still win in
     * the current view.
     */
    public synchronized void corrupt(Path file, long offset, byte[] with) {
        Path p = normalize(file);
        Inode node = requireFile(current.containsKey(p) ? current.get(p) : durable.get(p), file);
        if (offset < 0 || offset + with.length > MAX_FILE_SIZE) {
            throw new IllegalArgumentException("offset out of range: " + offset);
        }
        node.durable.write(offset, with.clone());
        node.current = node.durable.copy();
        node.pending.forEach(op -> op.applyTo(node.current));
    }

    /** Every seam call made so far, on this storage and its handles, failed or not. */
    public long callCount() {
        return calls.get();
    }

    /** A copy of the disk state; opaque, only {@link #restore} reads it. */
    public static final class Snapshot {
        private final Map<Path, Inode> current;
        private final Map<Path, Inode> durable;

        private Snapshot(Map<Path, Inode> current, Map<Path, Inode> durable) {
            this.current = current;
            this.durable = durable;
        }
    }

    private static Write tear(Write w, TearMode mode, Random random) {
        byte[] data = w.data.clone();
        switch (mode) {
            case CUT -> data = Arrays.copyOf(data, random.nextInt(data.length));
            case ZERO_SECTOR -> {
                long first = w.position / SECTOR;
                long last = (w.position + data.length - 1) / SECTOR;
                long sector = first + random.nextLong(last - first + 1);
                long from = Math.max(w.position, sector * SECTOR);
                long to = Math.min(w.position + data.length, (sector + 1) * SECTOR);
                Arrays.fill(data, (int) (from - w.position), (int) (to - w.position), (byte) 0);
            }
            case FLIP_BIT -> {
                long bit = random.nextLong(data.length * 8L);
                data[(int) (bit / 8)] ^= (byte) (1 << (bit % 8));
            }
            case NONE -> throw new IllegalArgumentException("NONE tears nothing");
        }
        return new Write(w.position, data);
    }

    private static String describe(Write original, Write torn) {
        if (torn.data.length < original.data.length) {
            return "kept " + torn.data.length + " bytes";
        }
        int first = -1;
        int last = -1;
        for (int i = 0; i < torn.data.length; i++) {
            if (torn.data[i] != original.data[i]) {
                first = first < 0 ? i : first;
                last = i;
            }
        }
        return first < 0 ? "unchanged" : "changed bytes " + first + ".." + last + " of it";
    }

    // The durable entries whose ancestors are all durable directories: what a remount shows.
    private Map<Path, Inode> survivingEntries() {
        Map<Path, Inode> result = new TreeMap<>();
        durable.forEach((path, node) -> {
            if (durablyReachable(path)) {
                result.put(path, node);
            }
        });
        return result;
    }

    private boolean durablyReachable(Path path) {
        for (Path d = parentOf(path); !isRoot(d); d = parentOf(d)) {
            Inode node = durable.get(d);
            if (node == null || !node.directory) {
                return false;
            }
        }
        return true;
    }

    private static Map<Path, Inode> copy(Map<Path, Inode> map, Map<Inode, Inode> copies) {
        Map<Path, Inode> result = new HashMap<>();
        map.forEach((path, node) -> result.put(path, copies.computeIfAbsent(node, Inode::copy)));
        return result;
    }

    private boolean isDirectory(Path p) {
        Inode node = current.get(p);
        return isRoot(p) || (node != null && node.directory);
    }

    private void requireDirectory(Path dir, Path forPath) throws NoSuchFileException {
        if (!isDirectory(dir)) {
            throw new NoSuchFileException(forPath.toString(), null, "no directory " + dir);
        }
    }

    private static Inode requireFile(Inode node, Path file) {
        if (node == null || node.directory) {
            throw new IllegalArgumentException(file + " is not a file here");
        }
        return node;
    }

    private static Path normalize(Path path) {
        return requireNonNull(path, "path is null").normalize();
    }

    // "/" and "" (the root of relative paths) always exist and have no entry of their own.
    private static boolean isRoot(Path p) {
        return p.getParent() == null && (p.isAbsolute() || p.toString().isEmpty());
    }

    private static Path parentOf(Path p) {
        Path parent = p.getParent();
        return parent != null ? parent : p.getFileSystem().getPath("");
    }

    private final class FakeFile implements StorageFile {
        private final Inode node;
        private final Path path;
        private final long openedIn;
        private boolean closed;

        FakeFile(Inode node, Path path, long openedIn) {
            this.node = node;
            this.path = path;
            this.openedIn = openedIn;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            synchronized (FakeStorage.this) {
                enter();
                if (position < 0) {
                    throw new IllegalArgumentException("negative position");
                }
                return node.current.read(dst, position);
            }
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            synchronized (FakeStorage.this) {
                enter();
                if (position < 0) {
                    throw new IllegalArgumentException("negative position");
                }
                if (position + src.remaining() > MAX_FILE_SIZE) {
                    throw new FileSystemException(path.toString(), null, "File too large");
                }
                byte[] data = new byte[src.remaining()];
                src.get(data);
                node.current.write(position, data);
                node.pending.add(new Write(position, data));
            }
        }

        @Override
        public long size() throws IOException {
            synchronized (FakeStorage.this) {
                enter();
                return node.current.size;
            }
        }

        @Override
        public void truncate(long size) throws IOException {
            synchronized (FakeStorage.this) {
                enter();
                if (size < 0) {
                    throw new IllegalArgumentException("negative size");
                }
                if (size < node.current.size) {
                    node.current.truncate(size);
                    node.pending.add(new Truncate(size));
                }
            }
        }

        @Override
        public void force() throws IOException {
            synchronized (FakeStorage.this) {
                enter();
                node.pending.forEach(op -> op.applyTo(node.durable));
                node.pending.clear();
            }
        }

        @Override
        public void close() {
            synchronized (FakeStorage.this) {
                calls.incrementAndGet();
                closed = true;
            }
        }

        private void enter() throws IOException {
            calls.incrementAndGet();
            if (closed) {
                throw new ClosedChannelException();
            }
            if (openedIn != generation) {
                throw new IOException(path + ": stale handle, the disk crashed or the process was killed");
            }
        }
    }

    private static final class Inode {
        final boolean directory;
        final Content durable;
        Content current;
        final List<Pending> pending;

        private Inode(boolean directory, Content durable, Content current, List<Pending> pending) {
            this.directory = directory;
            this.durable = durable;
            this.current = current;
            this.pending = pending;
        }

        static Inode directory() {
            return new Inode(true, null, null, List.of());
        }

        static Inode file() {
            return new Inode(false, new Content(), new Content(), new ArrayList<>());
        }

        Inode copy() {
            return directory ? this : new Inode(false, durable.copy(), current.copy(), new ArrayList<>(pending));
        }

        Write lastWrite() {
            for (int i = pending.size() - 1; i >= 0; i--) {
                if (pending.get(i) instanceof Write w && w.data.length > 0) {
                    return w;
                }
            }
            return null;
        }
    }

    private sealed interface Pending permits Write, Truncate {
        void applyTo(Content content);
    }

    // data is never mutated after construction, so copies of the pending list may share it.
    private record Write(long position, byte[] data) implements Pending {
        @Override
        public void applyTo(Content content) {
            content.write(position, data);
        }
    }

    private record Truncate(long size) implements Pending {
        @Override
        public void applyTo(Content content) {
            content.truncate(size);
        }
    }

    private static final class Content {
        private byte[] buf;
        private int size;

        Content() {
            this(new byte[64], 0);
        }

        private Content(byte[] buf, int size) {
            this.buf = buf;
            this.size = size;
        }

        Content copy() {
            return new Content(buf.clone(), size);
        }

        void write(long position, byte[] data) {
            int pos = (int) position;
            int end = pos + data.length;
            if (end > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(end, Math.min(MAX_FILE_SIZE, buf.length * 2)));
            }
            if (pos > size) {
                Arrays.fill(buf, size, pos, (byte) 0); // a hole reads as zeros, not as truncated bytes
            }
            System.arraycopy(data, 0, buf, pos, data.length);
            size = Math.max(size, end);
        }

        void truncate(long newSize) {
            size = (int) Math.min(size, newSize);
        }

        int read(ByteBuffer dst, long position) {
            if (!dst.hasRemaining()) {
                return 0;
            }
            if (position >= size) {
                return -1;
            }
            int n = (int) Math.min(dst.remaining(), size - position);
            dst.put(buf, (int) position, n);
            return n;
        }

        byte[] toArray() {
            return Arrays.copyOf(buf, size);
        }
    }
}
