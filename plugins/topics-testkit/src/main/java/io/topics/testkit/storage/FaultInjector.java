package io.topics.testkit.storage;

import static java.util.Objects.requireNonNull;

import io.topics.api.storage.Storage;
import io.topics.api.storage.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Wraps any {@link Storage} ({@link FakeStorage} or the real file system) and fails chosen seam
 * calls. Every call on the storage and on the handles it opened is counted, overall and per
 * {@link StorageOp}, 1-based, failed calls included; the count is deterministic for a
 * single-threaded operation, which crash-point sweeps rely on. A failed call does not reach the
 * delegate, except a {@link Fault#SHORT_WRITE} (writes half, then throws) and {@code close()}
 * (always releases the delegate's handle first). Rules and the crash point may be changed at any
 * time, from any thread.
 */
public final class FaultInjector extends ForwardingStorage {
    /** What a failed call does. */
    public enum Fault {
        /** {@code IOException("Input/output error")}. */
        EIO,
        /** {@code IOException("No space left on device")}. */
        ENOSPC,
        /**
         * On a write: the first half of the bytes is written (and consumed from the buffer), then
         * {@code IOException("No space left on device")}, as when the disk fills mid-write. On any
         * other call (only reachable with {@link #failNthOverall}) it acts as {@link #EIO}.
         */
        SHORT_WRITE
    }

    /** Whether a rule fails only its Nth call or also every later one. */
    public enum Repeat {
        ONCE,
        ALWAYS
    }

    // All guarded by this.
    private final List<Rule> rules = new ArrayList<>();
    private final long[] callsByOp = new long[StorageOp.values().length];
    private long calls;
    private long crashAfter = -1;
    private boolean crashed;

    public FaultInjector(Storage delegate) {
        super(delegate);
    }

    /** Fails the {@code n}th call (1-based) of kind {@code op}, and with ALWAYS every later one. */
    public synchronized FaultInjector failNth(StorageOp op, long n, Fault fault, Repeat repeat) {
        requireNonNull(op, "op is null");
        if (fault == Fault.SHORT_WRITE && op != StorageOp.WRITE) {
            throw new IllegalArgumentException("SHORT_WRITE only applies to WRITE, not " + op);
        }
        return addRule(new Rule(op, n, fault, repeat));
    }

    /** Fails the {@code n}th seam call overall (1-based), and with ALWAYS every later one. */
    public synchronized FaultInjector failNthOverall(long n, Fault fault, Repeat repeat) {
        return addRule(new Rule(null, n, fault, repeat));
    }

    /**
     * Lets the next {@code calls} seam calls run, then makes every further call throw
     * {@link SimulatedCrash}; with 0 the very next call throws. Counted from now, so a test can
     * open the engine first and crash inside the operation it sweeps. Follow with
     * {@link FakeStorage#crash}.
     */
    public synchronized FaultInjector crashAfter(long calls) {
        if (calls < 0) {
            throw new IllegalArgumentException("calls must be >= 0: " + calls);
        }
        crashAfter = this.calls + calls;
        return this;
    }

    /** Drops every rule and the crash point: the disk works again. Counters keep counting. */
    public synchronized void heal() {
        rules.clear();
        crashAfter = -1;
        crashed = false;
    }

    /** Seam calls made so far through this injector. */
    public synchronized long callCount() {
        return calls;
    }

    /** Seam calls of kind {@code op} made so far through this injector. */
    public synchronized long callCount(StorageOp op) {
        return callsByOp[op.ordinal()];
    }

    /** Whether a {@link SimulatedCrash} was thrown since creation or the last {@link #heal()}. */
    public synchronized boolean crashed() {
        return crashed;
    }

    @Override
    public StorageFile open(Path file, boolean create) throws IOException {
        throwIf(enter(StorageOp.OPEN, file));
        return new InjectedFile(delegate().open(file, create), file);
    }

    /** An injected fault makes this return false, as {@code Files.exists} does on an I/O error. */
    @Override
    public boolean exists(Path path) {
        return enter(StorageOp.EXISTS, path) == null && super.exists(path);
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        throwIf(enter(StorageOp.LIST, dir));
        return super.list(dir);
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        throwIf(enter(StorageOp.CREATE_DIRECTORIES, dir));
        super.createDirectories(dir);
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        throwIf(enter(StorageOp.RENAME, from));
        super.rename(from, to);
    }

    @Override
    public void delete(Path file) throws IOException {
        throwIf(enter(StorageOp.DELETE, file));
        super.delete(file);
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        throwIf(enter(StorageOp.FORCE_DIRECTORY, dir));
        super.forceDirectory(dir);
    }

    private synchronized FaultInjector addRule(Rule rule) {
        rules.add(rule);
        return this;
    }

    private synchronized Fault enter(StorageOp op, Path path) {
        calls++;
        long nthOfKind = ++callsByOp[op.ordinal()];
        if (crashAfter >= 0 && calls > crashAfter) {
            crashed = true;
            throw new SimulatedCrash("call " + calls + " (" + op + " " + path + ") comes after the crash at call "
                    + crashAfter);
        }
        for (Rule rule : rules) {
            if (rule.matches(op, nthOfKind, calls)) {
                return rule.fault;
            }
        }
        return null;
    }

    private static void throwIf(Fault fault) throws IOException {
        if (fault != null) {
            throw new IOException(fault == Fault.ENOSPC ? "No space left on device" : "Input/output error");
        }
    }

    private record Rule(StorageOp op, long nth, Fault fault, Repeat repeat) {
        Rule {
            requireNonNull(fault, "fault is null");
            requireNonNull(repeat, "repeat is null");
            if (nth < 1) {
                throw new IllegalArgumentException("calls are counted from 1: " + nth);
            }
        }

        // op == null: the Nth call overall, whatever its kind.
        boolean matches(StorageOp call, long nthOfKind, long nthOverall) {
            if (op != null && op != call) {
                return false;
            }
            long n = op == null ? nthOverall : nthOfKind;
            return repeat == Repeat.ONCE ? n == nth : n >= nth;
        }
    }

    private final class InjectedFile extends ForwardingStorageFile {
        private final Path path;

        InjectedFile(StorageFile file, Path path) {
            super(file);
            this.path = path;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            throwIf(enter(StorageOp.READ, path));
            return super.read(dst, position);
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            Fault fault = enter(StorageOp.WRITE, path);
            if (fault == Fault.SHORT_WRITE) {
                int half = src.remaining() / 2;
                super.write(src.slice(src.position(), half), position);
                src.position(src.position() + half);
                throw new IOException("No space left on device");
            }
            throwIf(fault);
            super.write(src, position);
        }

        @Override
        public long size() throws IOException {
            throwIf(enter(StorageOp.SIZE, path));
            return super.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            throwIf(enter(StorageOp.TRUNCATE, path));
            super.truncate(size);
        }

        @Override
        public void force() throws IOException {
            throwIf(enter(StorageOp.FORCE, path));
            super.force();
        }

        // A failing close(2) still releases the descriptor, so the delegate is always closed.
        @Override
        public void close() throws IOException {
            Fault fault;
            try {
                fault = enter(StorageOp.CLOSE, path);
            } catch (SimulatedCrash crash) {
                super.close();
                throw crash;
            }
            super.close();
            throwIf(fault);
        }
    }
}
