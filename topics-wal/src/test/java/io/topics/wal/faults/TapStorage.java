package io.topics.wal.faults;

import static java.util.Objects.requireNonNull;

import io.topics.api.storage.Storage;
import io.topics.api.storage.StorageFile;
import io.topics.testkit.storage.ForwardingStorage;
import io.topics.testkit.storage.ForwardingStorageFile;
import io.topics.testkit.storage.StorageOp;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;
import java.util.function.Supplier;

/**
 * The layer right under the WAL (WAL → tap → OrderingMonitor → FaultInjector → FakeStorage).
 * It
 * <ul>
 *   <li>reports, for every frame the WAL tries to write, its payload id, file, end offset and
 *       lsn ({@link Listener}), before the write goes down, so a failed or torn write is known
 *       too;</li>
 *   <li>holds a chosen call at a {@link Gate} until the test releases it, which makes the WAL's
 *       rounds deterministic (hold the writer, queue a batch, release: one round);</li>
 *   <li>fails calls chosen by kind <em>and path</em> ({@link #failOn}), e.g. only the spare
 *       file's writes, which the {@code FaultInjector} cannot single out. Such failures happen
 *       above the monitor, which therefore does not see them.</li>
 * </ul>
 */
final class TapStorage extends ForwardingStorage {
    /** Where an attempted frame went. */
    record Loc(Path path, long end, long lsn, int size) {
    }

    interface Listener {
        void written(long id, Loc loc);
    }

    /** One call, held until {@link #release}. */
    static final class Gate {
        final StorageOp op;
        final BiPredicate<StorageOp, Path> match;
        final CountDownLatch arrived = new CountDownLatch(1);
        final CountDownLatch released = new CountDownLatch(1);
        volatile boolean used;

        Gate(StorageOp op, BiPredicate<StorageOp, Path> match) {
            this.op = op;
            this.match = match;
        }

        void awaitArrived() {
            try {
                if (!arrived.await(10, TimeUnit.SECONDS)) {
                    throw new AssertionError("nothing reached the " + op + " gate within 10 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        void release() {
            released.countDown();
        }

        boolean hasArrived() {
            return arrived.getCount() == 0;
        }
    }

    private record Failure(StorageOp op, BiPredicate<StorageOp, Path> match, long nth, boolean always,
                           Supplier<? extends Throwable> error, AtomicInteger seen) {
    }

    private final Listener listener;
    private final List<Gate> gates = new CopyOnWriteArrayList<>();
    private final List<Failure> failures = new CopyOnWriteArrayList<>();
    final AtomicInteger spareCloses = new AtomicInteger();
    final AtomicInteger walForces = new AtomicInteger();

    TapStorage(Storage delegate, Listener listener) {
        super(delegate);
        this.listener = requireNonNull(listener, "listener is null");
    }

    /** Holds the next call of kind {@code op} whose path matches, until the gate is released. */
    Gate hold(StorageOp op, java.util.function.Predicate<Path> path) {
        Gate g = new Gate(op, (o, p) -> o == op && path.test(p));
        gates.add(g);
        return g;
    }

    void releaseAll() {
        for (Gate g : gates) {
            g.release();
        }
    }

    /**
     * Fails the {@code nth} (1-based) call of kind {@code op} whose path matches, and with
     * {@code always} every later one, by throwing what {@code error} supplies (an
     * {@link IOException} or an unchecked exception).
     */
    void failOn(StorageOp op, java.util.function.Predicate<Path> path, long nth, boolean always,
                Supplier<? extends Throwable> error) {
        failures.add(new Failure(op, (o, p) -> o == op && path.test(p), nth, always, error, new AtomicInteger()));
    }

    private void pass(StorageOp op, Path path) throws IOException {
        for (Failure f : failures) {
            if (f.match.test(op, path)) {
                int n = f.seen.incrementAndGet();
                if (n == f.nth || (f.always && n > f.nth)) {
                    Throwable t = f.error.get();
                    if (t instanceof IOException io) {
                        throw io;
                    }
                    if (t instanceof RuntimeException re) {
                        throw re;
                    }
                    throw (Error) t;
                }
            }
        }
        for (Gate g : gates) {
            if (!g.used && g.match.test(op, path)) {
                synchronized (g) {
                    if (g.used) {
                        continue;
                    }
                    g.used = true;
                }
                g.arrived.countDown();
                try {
                    if (!g.released.await(10, TimeUnit.SECONDS)) {
                        throw new IOException("test gate on " + op + " " + path + " was never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            }
        }
    }

    @Override
    public StorageFile open(Path file, boolean create) throws IOException {
        pass(StorageOp.OPEN, file);
        return new TapFile(delegate().open(file, create), file);
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        pass(StorageOp.LIST, dir);
        return super.list(dir);
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        pass(StorageOp.CREATE_DIRECTORIES, dir);
        super.createDirectories(dir);
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        pass(StorageOp.RENAME, from);
        super.rename(from, to);
    }

    @Override
    public void delete(Path file) throws IOException {
        pass(StorageOp.DELETE, file);
        super.delete(file);
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        pass(StorageOp.FORCE_DIRECTORY, dir);
        super.forceDirectory(dir);
    }

    private final class TapFile extends ForwardingStorageFile {
        private final Path path;

        TapFile(StorageFile file, Path path) {
            super(file);
            this.path = path;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            pass(StorageOp.READ, path);
            return super.read(dst, position);
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            pass(StorageOp.WRITE, path);
            if (Layout.isWalFile(path) && position >= Layout.FILE_HEADER) {
                locate(src.duplicate().order(ByteOrder.LITTLE_ENDIAN), position);
            }
            super.write(src, position);
        }

        private void locate(ByteBuffer b, long position) {
            int start = b.position();
            int at = start;
            while (at + Layout.FRAME_HEADER <= b.limit()) {
                int len = b.getInt(at);
                if (len < Layout.FIXED || at + 4L + len > b.limit()) {
                    return;
                }
                long lsn = b.getLong(at + 12);
                long id = len >= Layout.FIXED + 8 ? b.getLong(at + Layout.FRAME_HEADER) : -1;
                listener.written(id, new Loc(path.normalize(), position + (at - start) + 4 + len, lsn, 4 + len));
                at += 4 + len;
            }
        }

        @Override
        public long size() throws IOException {
            pass(StorageOp.SIZE, path);
            return super.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            pass(StorageOp.TRUNCATE, path);
            super.truncate(size);
        }

        @Override
        public void force() throws IOException {
            pass(StorageOp.FORCE, path);
            super.force();
            if (Layout.isWalFile(path)) {
                walForces.incrementAndGet();
            }
        }

        @Override
        public void close() throws IOException {
            try {
                pass(StorageOp.CLOSE, path);
            } finally {
                super.close();
                if (Layout.isSpare(path)) {
                    spareCloses.incrementAndGet();
                }
            }
        }
    }
}
