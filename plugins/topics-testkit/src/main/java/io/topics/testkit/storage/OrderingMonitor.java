package io.topics.testkit.storage;

import io.topics.api.storage.Storage;
import io.topics.api.storage.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Wraps a {@link Storage} and records every seam call as a numbered {@link Event}, following each
 * file across renames, so tests can check ordering rules live ({@link #markAck}) or afterwards
 * ({@link #forcedBefore}, {@link #assertRenameAfterForce}). Put it outermost, over a
 * {@link FaultInjector}, so it sees injected failures: a failed force poisons the file, and no
 * later force makes its unforced bytes count as durable (a later fsync can lie).
 *
 * <p>It knows only what it saw: bytes written before it was created count as never forced, so
 * create a new monitor after a crash or restart and ack only bytes written through it. Events are
 * numbered in completion order; thread-safe.
 */
public final class OrderingMonitor extends ForwardingStorage {
    /**
     * One seam call. {@code path} is the normalized path of the file or directory at call time
     * (the source of a rename), {@code target} the rename's destination (null otherwise);
     * {@code offset} is the position of a read or write or the size of a truncate, {@code length}
     * the bytes read or written (a failed write may have written a prefix), both -1 when they do
     * not apply.
     */
    public record Event(long id, StorageOp op, Path path, Path target, long offset, long length, boolean failed) {
    }

    // All guarded by this.
    private final List<Event> events = new ArrayList<>();
    private final Map<Path, FileHistory> files = new HashMap<>();
    private final List<FileHistory> allFiles = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();

    public OrderingMonitor(Storage delegate) {
        super(delegate);
    }

    /**
     * Call when the engine acknowledges data ending at {@code endOffset} of {@code file} as
     * forced. Records a violation unless every write below {@code endOffset} was covered by a
     * successful force and the forced bytes reach {@code endOffset}. Never throws, so it is safe
     * in the writer thread's ack callback; check {@link #assertNoViolations()} at the end.
     *
     * @return whether the ack was covered
     */
    public synchronized boolean markAck(Path file, long endOffset) {
        FileHistory history = files.get(file.normalize());
        String why = history == null ? "nothing was written to it" : history.now.whyNotForced(endOffset);
        if (why == null) {
            return true;
        }
        violations.add("ack of " + file + " up to " + endOffset + " after event " + events.size() + ": " + why);
        return false;
    }

    /** Whether bytes below {@code endOffset} of {@code file} were all forced before event {@code eventId}. */
    public synchronized boolean forcedBefore(Path file, long endOffset, long eventId) {
        FileHistory history = files.get(file.normalize());
        if (history == null) {
            return false;
        }
        Durability state = new Durability();
        for (Event e : history.events) {
            if (e.id() >= eventId) {
                break;
            }
            state.apply(e);
        }
        return state.whyNotForced(endOffset) == null;
    }

    /** The id of the last write (failed or not) to the file now at {@code file}; 0 if none. */
    public synchronized long lastWrite(Path file) {
        return last(file, StorageOp.WRITE, true);
    }

    /** The id of the last successful force of the file now at {@code file}; 0 if none. */
    public synchronized long lastForce(Path file) {
        return last(file, StorageOp.FORCE, false);
    }

    /**
     * Asserts that {@code tmp} was renamed at least once, and that at every rename the file had
     * been forced with no write or truncate since (atomic snapshot swap).
     */
    public synchronized void assertRenameAfterForce(Path tmp) {
        Path p = tmp.normalize();
        boolean renamed = false;
        for (FileHistory history : allFiles) {
            Durability state = new Durability();
            for (Event e : history.events) {
                if (e.op() == StorageOp.RENAME && !e.failed() && e.path().equals(p)) {
                    renamed = true;
                    String why = state.whyNotClean();
                    if (why != null) {
                        throw new AssertionError("rename of " + tmp + " at event " + e.id() + ": " + why);
                    }
                }
                state.apply(e);
            }
        }
        if (!renamed) {
            throw new AssertionError("no rename of " + tmp + " was recorded");
        }
    }

    /** Every recorded call, in order. */
    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    /** The violations {@link #markAck} recorded. */
    public synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    public synchronized void assertNoViolations() {
        if (!violations.isEmpty()) {
            throw new AssertionError(violations.size() + " ordering violation(s):\n" + String.join("\n", violations));
        }
    }

    @Override
    public StorageFile open(Path file, boolean create) throws IOException {
        StorageFile opened;
        try {
            opened = super.open(file, create);
        } catch (IOException | RuntimeException e) {
            record(StorageOp.OPEN, file, null, true);
            throw e;
        }
        FileHistory history;
        synchronized (this) {
            history = files.computeIfAbsent(file.normalize(), this::newHistory);
            record(history, StorageOp.OPEN, -1, -1, false);
        }
        return new MonitoredFile(opened, history);
    }

    @Override
    public boolean exists(Path path) {
        try {
            boolean exists = super.exists(path);
            record(StorageOp.EXISTS, path, null, false);
            return exists;
        } catch (RuntimeException e) {
            record(StorageOp.EXISTS, path, null, true);
            throw e;
        }
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        try {
            List<Path> entries = super.list(dir);
            record(StorageOp.LIST, dir, null, false);
            return entries;
        } catch (IOException | RuntimeException e) {
            record(StorageOp.LIST, dir, null, true);
            throw e;
        }
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        observe(StorageOp.CREATE_DIRECTORIES, dir, null, () -> super.createDirectories(dir));
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        observe(StorageOp.RENAME, from, to, () -> super.rename(from, to));
    }

    @Override
    public void delete(Path file) throws IOException {
        observe(StorageOp.DELETE, file, null, () -> super.delete(file));
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        observe(StorageOp.FORCE_DIRECTORY, dir, null, () -> super.forceDirectory(dir));
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private void observe(StorageOp op, Path path, Path target, IoAction action) throws IOException {
        try {
            action.run();
        } catch (IOException | RuntimeException e) {
            record(op, path, target, true);
            throw e;
        }
        record(op, path, target, false);
    }

    // A call on the storage itself; renames and deletes also move or drop the file's history.
    private synchronized void record(StorageOp op, Path path, Path target, boolean failed) {
        Path p = path.normalize();
        Path t = target == null ? null : target.normalize();
        Event event = new Event(events.size() + 1, op, p, t, -1, -1, failed);
        events.add(event);
        FileHistory history = switch (op) {
            case RENAME -> files.computeIfAbsent(p, this::newHistory);
            case DELETE -> files.get(p);
            default -> null;
        };
        if (history == null) {
            return;
        }
        history.add(event);
        if (!failed) {
            files.remove(p);
            if (op == StorageOp.RENAME) {
                history.path = t;
                files.put(t, history);
            }
        }
    }

    private synchronized void record(FileHistory history, StorageOp op, long offset, long length, boolean failed) {
        Event event = new Event(events.size() + 1, op, history.path, null, offset, length, failed);
        events.add(event);
        history.add(event);
    }

    private FileHistory newHistory(Path path) {
        FileHistory history = new FileHistory(path);
        allFiles.add(history);
        return history;
    }

    private long last(Path file, StorageOp op, boolean countFailed) {
        FileHistory history = files.get(file.normalize());
        if (history == null) {
            return 0;
        }
        for (int i = history.events.size() - 1; i >= 0; i--) {
            Event e = history.events.get(i);
            if (e.op() == op && (countFailed || !e.failed())) {
                return e.id();
            }
        }
        return 0;
    }

    /** One file, followed across renames. */
    private static final class FileHistory {
        Path path;
        final List<Event> events = new ArrayList<>();
        final Durability now = new Durability();

        FileHistory(Path path) {
            this.path = path;
        }

        void add(Event event) {
            events.add(event);
            now.apply(event);
        }
    }

    /** What a file's events so far prove about its durable bytes. */
    private static final class Durability {
        private long forcedEnd;
        private long lowestUnforced = Long.MAX_VALUE;
        private long unforcedEnd;
        private boolean forced;
        private boolean forceFailed;

        void apply(Event e) {
            switch (e.op()) {
                case WRITE -> {
                    if (e.length() > 0) {
                        lowestUnforced = Math.min(lowestUnforced, e.offset());
                        unforcedEnd = Math.max(unforcedEnd, e.offset() + e.length());
                    }
                }
                // Even a failed truncate may have cut the file, and an unforced one may come undone.
                case TRUNCATE -> {
                    lowestUnforced = Math.min(lowestUnforced, e.offset());
                    forcedEnd = Math.min(forcedEnd, e.offset());
                    unforcedEnd = Math.min(unforcedEnd, e.offset());
                }
                case FORCE -> {
                    if (e.failed()) {
                        forceFailed = true;
                    } else if (!forceFailed) {
                        forcedEnd = Math.max(forcedEnd, unforcedEnd);
                        lowestUnforced = Long.MAX_VALUE;
                        unforcedEnd = 0;
                        forced = true;
                    }
                }
                default -> {
                }
            }
        }

        String whyNotForced(long end) {
            if (lowestUnforced < end) {
                return "bytes from offset " + lowestUnforced + " were not forced"
                        + (forceFailed ? " (a force of this file failed, later forces prove nothing)" : "");
            }
            if (forcedEnd < end) {
                return "forced bytes end at " + forcedEnd;
            }
            return null;
        }

        String whyNotClean() {
            if (forceFailed) {
                return "a force of the file failed";
            }
            if (!forced) {
                return "the file was never forced";
            }
            if (lowestUnforced != Long.MAX_VALUE) {
                return "bytes from offset " + lowestUnforced + " were written or truncated after the last force";
            }
            return null;
        }
    }

    private final class MonitoredFile extends ForwardingStorageFile {
        private final FileHistory history;

        MonitoredFile(StorageFile file, FileHistory history) {
            super(file);
            this.history = history;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            int before = dst.position();
            try {
                int n = super.read(dst, position);
                record(history, StorageOp.READ, position, dst.position() - before, false);
                return n;
            } catch (IOException | RuntimeException e) {
                record(history, StorageOp.READ, position, dst.position() - before, true);
                throw e;
            }
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            int before = src.position();
            try {
                super.write(src, position);
            } catch (IOException | RuntimeException e) {
                record(history, StorageOp.WRITE, position, src.position() - before, true);
                throw e;
            }
            record(history, StorageOp.WRITE, position, src.position() - before, false);
        }

        @Override
        public long size() throws IOException {
            return observeFile(StorageOp.SIZE, -1, super::size);
        }

        @Override
        public void truncate(long size) throws IOException {
            observeFile(StorageOp.TRUNCATE, size, () -> {
                super.truncate(size);
                return null;
            });
        }

        @Override
        public void force() throws IOException {
            observeFile(StorageOp.FORCE, -1, () -> {
                super.force();
                return null;
            });
        }

        @Override
        public void close() throws IOException {
            observeFile(StorageOp.CLOSE, -1, () -> {
                super.close();
                return null;
            });
        }

        private interface IoCall<T> {
            T call() throws IOException;
        }

        private <T> T observeFile(StorageOp op, long offset, IoCall<T> call) throws IOException {
            T result;
            try {
                result = call.call();
            } catch (IOException | RuntimeException e) {
                record(history, op, offset, -1, true);
                throw e;
            }
            record(history, op, offset, -1, false);
            return result;
        }
    }
}
