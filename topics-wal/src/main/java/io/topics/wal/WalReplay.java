package io.topics.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;

import io.topics.api.storage.Storage;
import io.topics.api.storage.StorageFile;

/**
 * Reads the whole WAL back, in global lsn order, whatever the shard count was when it was
 * written. The end of each shard's newest file may be torn (a crash mid-write): it is cut at
 * the last valid frame, on disk too, and reported. Damage anywhere else is a
 * {@link WalCorruptionException}: never a silently shorter log.
 */
public final class WalReplay {
    /**
     * @param nextLsn        the lsn to start writing at
     * @param frames         frames delivered
     * @param truncated      one line per cut torn tail: file, offset, bytes dropped
     * @param truncatedBelow frames below this lsn may have been deleted by a checkpoint
     *                       ({@link Wal#truncateBefore}); {@code Long.MIN_VALUE} when the WAL
     *                       still holds its whole history
     */
    public record Result(long nextLsn, long frames, List<String> truncated, long truncatedBelow,
                         List<List<Path>> files, Map<Path, Long> fileEnds) {
        /**
         * @param files    the WAL files replay read, per shard, for {@link #reread}
         * @param fileEnds where each of them ended (its last valid frame, for a cut newest file)
         */
        public Result {
            files = List.copyOf(files);
            fileEnds = Map.copyOf(fileEnds);
        }
    }

    private WalReplay() {
    }

    /** Delivers every valid frame to {@code sink} in lsn order; its payload is valid only during the call. */
    public static Result replay(Storage fs, Path walDir, Consumer<Frame> sink) throws IOException {
        return replay(fs, walDir, sink, progress -> { });
    }

    /**
     * Like {@link #replay(Storage, Path, Consumer)}, reporting the share of WAL bytes read so far
     * (0.0 to 1.0) to {@code progress} now and then, from the calling thread.
     */
    public static Result replay(Storage fs, Path walDir, Consumer<Frame> sink, DoubleConsumer progress)
            throws IOException {
        return replay(fs, walDir, Long.MIN_VALUE, sink, progress);
    }

    /**
     * Like {@link #replay(Storage, Path, Consumer, DoubleConsumer)}, but files holding only
     * frames below {@code fromLsn} (a checkpoint covers them) are not read at all; frames below
     * it in the files that are read are still delivered.
     */
    public static Result replay(Storage fs, Path walDir, long fromLsn, Consumer<Frame> sink, DoubleConsumer progress)
            throws IOException {
        List<String> truncated = new ArrayList<>();
        PriorityQueue<ShardReader> heads = new PriorityQueue<>((a, b) -> Long.compare(a.frame.lsn(), b.frame.lsn()));
        List<ShardReader> readers = new ArrayList<>();
        try {
            for (Path dir : fs.list(walDir)) {
                if (dir.getFileName().toString().startsWith(WalFiles.SHARD_PREFIX)) {
                    List<Path> files = new ArrayList<>();
                    for (Path p : fs.list(dir)) {
                        if (WalFiles.firstLsn(p) >= 0) {
                            files.add(p);
                        }
                    }
                    ShardReader r = new ShardReader(fs, files, fromLsn, truncated, null);
                    readers.add(r);
                    if (r.advance()) {
                        heads.add(r);
                    }
                }
            }
            long frames = 0;
            long lastLsn = -1;
            while (!heads.isEmpty()) {
                ShardReader r = heads.poll();
                Frame f = r.frame;
                if (f.lsn() <= lastLsn) {
                    throw new WalCorruptionException(r.path, r.frameOffset, "lsn " + f.lsn() + " repeats or goes back");
                }
                lastLsn = f.lsn();
                sink.accept(f);
                frames++;
                if ((frames & 0xFFF) == 0) {
                    progress.accept(share(readers));
                }
                if (r.advance()) {
                    heads.add(r);
                }
            }
            progress.accept(1.0);
            // only now has every reader opened all its files: the name of each one reserves the
            // lsns below it, also that of a newest file holding no frame (its header was forced
            // at rotation, its first round was not) behind older files of the same shard
            long maxLsn = -1;
            for (ShardReader r : readers) {
                maxLsn = Math.max(maxLsn, r.maxFileLsn);
            }
            List<List<Path>> files = new ArrayList<>();
            Map<Path, Long> ends = new HashMap<>();
            for (ShardReader r : readers) {
                files.add(r.files);
                ends.putAll(r.ended);
            }
            return new Result(Math.max(lastLsn, maxLsn) + 1, frames, truncated, TruncationMark.read(fs, walDir), files,
                    ends);
        } finally {
            for (ShardReader r : readers) {
                r.close();
            }
        }
    }

    /**
     * Reads the files an earlier {@link #replay} read (its {@link Result#files()}) once more,
     * without changing them, and delivers the frames at or above {@code fromLsn} in lsn order.
     * For work deferred past readiness: a running WAL only ever writes new files, so these do
     * not change meanwhile. Any damage is an error here (replay already cut the torn tails).
     */
    public static void reread(Storage fs, Result replayed, long fromLsn, Consumer<Frame> sink) throws IOException {
        PriorityQueue<ShardReader> heads = new PriorityQueue<>((a, b) -> Long.compare(a.frame.lsn(), b.frame.lsn()));
        List<ShardReader> readers = new ArrayList<>();
        try {
            for (List<Path> shard : replayed.files()) {
                List<Path> present = new ArrayList<>();
                for (Path p : shard) {
                    if (replayed.fileEnds().containsKey(p)) { // not one replay removed as frameless
                        present.add(p);
                    }
                }
                ShardReader r = new ShardReader(fs, present, fromLsn, new ArrayList<>(), replayed.fileEnds());
                readers.add(r);
                if (r.advance()) {
                    heads.add(r);
                }
            }
            while (!heads.isEmpty()) {
                ShardReader r = heads.poll();
                if (r.frame.lsn() >= fromLsn && r.frame.lsn() < replayed.nextLsn()) {
                    sink.accept(r.frame);
                }
                if (r.advance()) {
                    heads.add(r);
                }
            }
        } finally {
            for (ShardReader r : readers) {
                r.close();
            }
        }
    }

    private static double share(List<ShardReader> readers) throws IOException {
        long done = 0;
        long total = 0;
        for (ShardReader r : readers) {
            done += r.bytesDone();
            total += r.totalBytes;
        }
        return total == 0 ? 1.0 : Math.min(1.0, (double) done / total);
    }

    /** Walks one shard's files in order, frame by frame, through a reusable window. */
    private static final class ShardReader {
        private final Storage fs;
        private final List<Path> files;
        private final List<String> truncated;
        /** Reading again what replay already repaired: nothing is cut, forced or removed. */
        private final boolean readOnly;
        /** Where each file ended when it was replayed (read-only readers stop there), or null. */
        private final Map<Path, Long> ends;
        /** Where each file read through ended: its size, or the end of its last valid frame. */
        final Map<Path, Long> ended = new HashMap<>();
        private int fileIndex = -1;
        private StorageFile file;
        private Path path;
        private long fileSize;
        private long totalBytes;
        private long finishedBytes; // sizes of the files already read through
        private long offset;
        private long frameOffset;
        private long maxFileLsn = -1;
        private boolean sealed;
        private ByteBuffer window = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private long windowStart;
        Frame frame;

        /** @param ends for a read-only reader: where each file's frames ended when replay read it */
        ShardReader(Storage fs, List<Path> shardFiles, long fromLsn, List<String> truncated, Map<Path, Long> ends)
                throws IOException {
            this.fs = fs;
            this.files = new ArrayList<>(shardFiles);
            this.truncated = truncated;
            this.readOnly = ends != null;
            this.ends = ends;
            // file i holds lsns below the first lsn of file i + 1
            while (files.size() > 1 && WalFiles.firstLsn(files.get(1)) <= fromLsn) {
                maxFileLsn = Math.max(maxFileLsn, WalFiles.firstLsn(files.get(1)) - 1);
                files.remove(0);
            }
            for (Path p : files) {
                try (StorageFile f = fs.open(p, false)) {
                    totalBytes += f.size();
                }
            }
        }

        /** Moves to the next valid frame; false at the end of the shard. */
        boolean advance() throws IOException {
            while (true) {
                if (file == null && !openNext()) {
                    frame = null;
                    return false;
                }
                String bad = readFrame();
                if (bad == null) {
                    return true;
                }
                boolean last = fileIndex == files.size() - 1;
                if (!last && !sealed) {
                    if (!bad.isEmpty()) {
                        throw new WalCorruptionException(path, frameOffset, bad + ", and more log follows");
                    }
                    if (!nextStartsARun()) {
                        // a rotation forces the seal before the next file exists, and the first file
                        // a writer creates after a recovery says so: this one lost frames at its end
                        throw new WalCorruptionException(path, frameOffset, "ends without its seal, and more log follows");
                    }
                }
                if (last && !sealed && readOnly) {
                    if (!bad.isEmpty()) {
                        throw new WalCorruptionException(path, frameOffset, bad + " in a file replay had repaired");
                    }
                } else if (last && !sealed) {
                    if (frameOffset < fileSize) {
                        // the torn tail (or zero-filled preallocation) of the newest file
                        file.truncate(frameOffset);
                        if (!bad.isEmpty()) {
                            truncated.add(path + " at " + frameOffset + ": " + (fileSize - frameOffset) + " bytes (" + bad + ")");
                        }
                    }
                    // what a killed process left in the page cache becomes durable before new
                    // writes can depend on it
                    file.force();
                }
                ended.put(path, last && !sealed ? frameOffset : fileSize);
                finishedBytes += fileSize;
                file.close();
                file = null;
            }
        }

        long bytesDone() {
            return finishedBytes + (file == null ? 0 : offset);
        }

        /** Whether the shard's next file was the first one a writer created after a recovery. */
        private boolean nextStartsARun() throws IOException {
            Path next = files.get(fileIndex + 1);
            try (StorageFile f = fs.open(next, false)) {
                ByteBuffer h = ByteBuffer.allocate(WalFiles.HEADER_BYTES);
                f.readFully(h, 0);
                h.flip();
                if (WalFiles.checkHeader(h, WalFiles.firstLsn(next)) != null) {
                    // a newest file whose creation a crash interrupted: openNext removes it if it
                    // never held a frame, and reports corruption otherwise
                    return fileIndex + 1 == files.size() - 1;
                }
                return (WalFiles.flags(h) & WalFiles.FIRST_OF_RUN) != 0;
            }
        }

        private boolean openNext() throws IOException {
            if (++fileIndex >= files.size()) {
                return false;
            }
            path = files.get(fileIndex);
            file = fs.open(path, false);
            fileSize = file.size();
            if (ends != null) {
                // a running WAL may have taken over the name of a file that held no frame
                fileSize = Math.min(fileSize, ends.getOrDefault(path, 0L));
            }
            long expected = WalFiles.firstLsn(path);
            ByteBuffer h = ByteBuffer.allocate(WalFiles.HEADER_BYTES);
            file.readFully(h, 0);
            String bad = WalFiles.checkHeader(h.flip(), expected);
            offset = WalFiles.HEADER_BYTES;
            if (bad != null) {
                boolean last = fileIndex == files.size() - 1;
                if (last && !readOnly && allZero()) {
                    // created, then the crash came before its header was durable: it never held a frame
                    file.close();
                    file = null;
                    fs.delete(path);
                    fs.forceDirectory(path.getParent());
                    truncated.add(path + " at 0: " + fileSize + " bytes (" + bad + "; file removed)");
                    return openNext();
                }
                throw new WalCorruptionException(path, 0, bad);
            }
            window.clear().limit(0);
            windowStart = offset;
            sealed = false;
            maxFileLsn = Math.max(maxFileLsn, expected - 1); // a file's name reserves the lsns below it
            return true;
        }

        /** Null when a frame was read; "" at a clean end (zero length or end of file); else what is wrong. */
        private String readFrame() throws IOException {
            frameOffset = offset;
            if (fileSize - offset < 4) {
                // fewer than 4 zero bytes are the end of preallocation, not a torn frame
                return fileSize == offset || allZero() ? "" : "partial length field";
            }
            if (!fill(4)) {
                return "unreadable length";
            }
            int length = window.getInt(window.position());
            if (length == 0) {
                return allZero() ? "" : "zero length followed by data";
            }
            if (length < Frame.FIXED_AFTER_LENGTH || length > Frame.FIXED_AFTER_LENGTH + Frame.MAX_PAYLOAD) {
                return "impossible frame length " + length;
            }
            if (fileSize - offset < 4L + length) {
                return "frame runs past the end of the file";
            }
            if (!fill(4 + length)) {
                return "unreadable frame";
            }
            int p = window.position();
            int crc = window.getInt(p + 4);
            if (crc != Frame.checksum(window, p + 8, p + 4 + length)) {
                return "checksum mismatch";
            }
            FrameType type = FrameType.of(window.get(p + 8));
            if (type == null) {
                return "unknown frame type " + window.get(p + 8);
            }
            if (type == FrameType.SEAL) {
                sealed = true;
                offset += 4 + length;
                return "";
            }
            long lsn = window.getLong(p + 12);
            if (frame != null && lsn <= frame.lsn()) {
                return "lsn goes back within the shard";
            }
            ByteBuffer payload = window.slice(p + Frame.HEADER_BYTES, length - Frame.FIXED_AFTER_LENGTH).asReadOnlyBuffer();
            frame = new Frame(lsn, type, window.get(p + 9) & 0xff, window.getLong(p + 20), window.getLong(p + 28),
                    window.getLong(p + 36), payload);
            maxFileLsn = Math.max(maxFileLsn, lsn);
            window.position(p + 4 + length);
            offset += 4 + length;
            return null;
        }

        /** Whether everything from the current offset to the end of the file is zero. */
        private boolean allZero() throws IOException {
            ByteBuffer b = ByteBuffer.allocate(1 << 16);
            for (long at = offset; at < fileSize; at += b.capacity()) {
                b.clear().limit((int) Math.min(b.capacity(), fileSize - at));
                file.readFully(b, at);
                b.flip();
                while (b.hasRemaining()) {
                    if (b.get() != 0) {
                        return false;
                    }
                }
            }
            return true;
        }

        /** Makes {@code n} bytes from {@code offset} available at the window's position. */
        private boolean fill(int n) throws IOException {
            int have = (int) (windowStart + window.limit() - offset);
            if (have >= n && offset >= windowStart) {
                window.position((int) (offset - windowStart));
                return true;
            }
            if (window.capacity() < n) {
                window = ByteBuffer.allocate(Math.max(n, window.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
            }
            window.clear();
            int toRead = (int) Math.min(window.capacity(), fileSize - offset);
            window.limit(toRead);
            file.readFully(window, offset);
            window.flip();
            windowStart = offset;
            return window.remaining() >= n;
        }

        void close() throws IOException {
            if (file != null) {
                file.close();
                file = null;
            }
        }
    }
}
