package io.topics.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.topics.api.spi.durability.AckPoint;
import io.topics.api.storage.Storage;
import io.topics.api.storage.StorageFile;

/**
 * One WAL shard: a queue and the one thread that drains it. Each round takes everything
 * queued, writes it with one {@code write}, forces once if any frame needs it, then completes
 * the round's futures in queue order. A lone frame is written (and forced) at once; under load
 * the next round grows while the current force runs. Nothing ever sleeps on a timer to batch.
 */
final class WalShard implements AutoCloseable {
    static final String SPARE = "spare.tmp";
    /**
     * Frames a shard always has room for, whatever their bytes: 64 connections with one write
     * in flight each are queued and served, never refused (API spec §19, decision 8). Their
     * bodies are in memory anyway; the byte bound is for what comes on top.
     */
    static final int ALWAYS_ROOM_FRAMES = 64;

    private final int id;
    private final Storage fs;
    private final Path dir;
    private final WalOptions options;
    private final InstantSource clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition queued = lock.newCondition();
    private ArrayList<Pending> queue = new ArrayList<>();
    private ArrayList<Pending> draining = new ArrayList<>();
    private boolean closing;
    private final Thread writer;
    /** Shared by every shard of one WAL: after any shard fails, every shard refuses. */
    private final AtomicReference<IOException> failure;
    private final ForceLatency forceLatency;

    // counters, written by the writer thread (queue depth under the lock)
    private final AtomicLong frames = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong forces = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong rotations = new AtomicLong();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong queuedFrames = new AtomicLong();
    /** Queued frames whose writers wait for the disk (acked when written or forced). */
    private final AtomicLong waitingFrames = new AtomicLong();
    private long queueDepthPeak;

    // writer thread only
    private StorageFile file;
    private long position;
    private long unforcedSinceNanos = -1;
    private ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
    private CompletableFuture<Path> spare;
    private boolean directoriesDurable;
    private boolean wroteAFile;

    private record Pending(Frame frame, AckPoint ack, CompletableFuture<Void> done) {
    }

    WalShard(int id, Storage fs, Path walDir, WalOptions options, InstantSource clock,
             AtomicReference<IOException> failure, ForceLatency forceLatency) {
        this.id = id;
        this.forceLatency = forceLatency;
        this.failure = failure;
        this.fs = fs;
        this.dir = WalFiles.shardDir(walDir, id);
        this.options = options;
        this.clock = clock;
        this.writer = Thread.ofPlatform().name("wal-shard-" + id).daemon().unstarted(this::run);
        writer.start();
    }

    /**
     * Queues a frame. The lsn is taken from {@code lsns} under this shard's lock, so a shard's
     * file is always in lsn order. The payload must not change afterwards.
     */
    CompletableFuture<Void> append(AtomicLong lsns, FrameType type, int flags, long topicId, long seq, long ts,
                                   ByteBuffer payload, AckPoint ack) {
        if (payload.remaining() > Frame.MAX_PAYLOAD) {
            throw new IllegalArgumentException("frame payload over " + Frame.MAX_PAYLOAD + " bytes");
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        lock.lock();
        try {
            IOException f = failure.get();
            if (f != null || closing) {
                throw new WalFailedException(f != null ? "the WAL failed and refuses writes until restart: "
                        + f.getMessage() : "the WAL is closed", f);
            }
            Frame frame = new Frame(lsns.getAndIncrement(), type, flags, topicId, seq, ts, payload);
            queue.add(new Pending(frame, ack, done));
            queuedBytes.addAndGet(frame.encodedSize());
            queuedFrames.incrementAndGet();
            if (waits(ack)) {
                waitingFrames.incrementAndGet();
            }
            queueDepthPeak = Math.max(queueDepthPeak, queue.size());
            queued.signal();
        } finally {
            lock.unlock();
        }
        if (ack == AckPoint.ENQUEUED || ack == AckPoint.IMMEDIATE) {
            done.complete(null);
        }
        return done;
    }

    /**
     * Whether {@code bytes} more may be queued for a writer acked at {@code ack}: into an empty
     * queue or within the byte bound always; past it only a writer that waits for the disk,
     * while fewer than {@link #ALWAYS_ROOM_FRAMES} such writers wait. A writer acked at enqueue
     * waits for nothing, so a closed loop of them could queue without end: for them the byte
     * bound holds.
     */
    boolean hasRoom(long bytes, AckPoint ack) {
        return queuedFrames.get() == 0 || queuedBytes.get() + bytes <= options.maxQueuedBytes()
                || waits(ack) && waitingFrames.get() < ALWAYS_ROOM_FRAMES;
    }

    private static boolean waits(AckPoint ack) {
        return ack != AckPoint.ENQUEUED && ack != AckPoint.IMMEDIATE;
    }

    void addStats(long[] into) {
        into[0] += frames.get();
        into[1] += batches.get();
        into[2] += forces.get();
        into[3] += bytesWritten.get();
        into[4] += rotations.get();
        lock.lock();
        try {
            into[5] += queue.size();
            into[6] = Math.max(into[6], queueDepthPeak);
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        if (options.preallocate()) {
            prepareSpare(); // the first file is ready by the time the first write arrives
        }
        while (true) {
            ArrayList<Pending> round;
            lock.lock();
            try {
                while (queue.isEmpty() && !closing) {
                    if (unforcedSinceNanos < 0) {
                        queued.awaitUninterruptibly();
                    } else {
                        long waitNanos = TimeUnit.MILLISECONDS.toNanos(options.backgroundForceMs())
                                - (System.nanoTime() - unforcedSinceNanos);
                        if (waitNanos <= 0) {
                            break;
                        }
                        try {
                            queued.awaitNanos(waitNanos);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }
                if (queue.isEmpty() && closing) {
                    break;
                }
                round = queue;
                queue = draining;
                draining = round;
            } finally {
                lock.unlock();
            }
            if (round.isEmpty()) {
                backgroundForce();
            } else {
                write(round);
                round.clear();
            }
        }
        closeFile();
    }

    private void write(ArrayList<Pending> round) {
        int bytes = 0;
        boolean force = false;
        for (Pending p : round) {
            bytes += p.frame.encodedSize();
            force |= p.ack == AckPoint.FORCED;
        }
        writeOrFail(round, bytes, force);
    }

    /**
     * Written or failed, the round no longer waits in memory. Called before its futures
     * complete, so a writer that has its answer finds the room its frame held: a closed loop
     * of 64 connections never meets its own last write in the queue.
     */
    private void leave(ArrayList<Pending> round, int bytes) {
        queuedBytes.addAndGet(-bytes);
        queuedFrames.addAndGet(-round.size());
        waitingFrames.addAndGet(-round.stream().filter(p -> waits(p.ack)).count());
    }

    private void writeOrFail(ArrayList<Pending> round, int bytes, boolean force) {
        IOException failed = failure.get();
        if (failed != null) {
            leave(round, bytes);
            failAll(round, failed);
            return;
        }
        try {
            ensureFile(bytes, round.get(0).frame.lsn());
            if (buf.capacity() < bytes) {
                buf = ByteBuffer.allocateDirect(Math.max(bytes, buf.capacity() * 2));
            }
            buf.clear();
            for (Pending p : round) {
                p.frame.encode(buf);
            }
            buf.flip();
            file.write(buf, position);
            position += bytes;
            bytesWritten.addAndGet(bytes);
            if (force) {
                force(file);
                forces.incrementAndGet();
                unforcedSinceNanos = -1;
            } else if (unforcedSinceNanos < 0) {
                unforcedSinceNanos = System.nanoTime();
            }
            frames.addAndGet(round.size());
            batches.incrementAndGet();
            // a failed force above skips this: nothing of the round is acknowledged
            leave(round, bytes);
            for (Pending p : round) {
                p.done.complete(null);
            }
        } catch (IOException | RuntimeException e) {
            IOException io = e instanceof IOException x ? x : new IOException(e);
            failure.compareAndSet(null, io);
            leave(round, bytes);
            failAll(round, io);
            lock.lock();
            try {
                failAll(queue, io);
                queue.clear();
            } finally {
                lock.unlock();
            }
        }
    }

    private void backgroundForce() {
        if (file == null || failure.get() != null || unforcedSinceNanos < 0) {
            return;
        }
        try {
            force(file);
            forces.incrementAndGet();
            unforcedSinceNanos = -1;
        } catch (IOException | RuntimeException e) {
            // whatever went wrong, the WAL must fail loudly, never hang its writers
            failure.compareAndSet(null, e instanceof IOException io ? io : new IOException(e));
        }
    }

    /** A force of {@code f}, timed into the WAL's latency histogram. */
    private void force(StorageFile f) throws IOException {
        long t0 = System.nanoTime();
        f.force();
        forceLatency.record(System.nanoTime() - t0);
    }

    private static void failAll(ArrayList<Pending> pending, IOException cause) {
        WalFailedException e = new WalFailedException("WAL write failed: " + cause.getMessage(), cause);
        for (Pending p : pending) {
            p.done.completeExceptionally(e);
        }
    }

    /** Opens the first file, or rotates when the round would not fit the current one. */
    private void ensureFile(int bytes, long firstLsn) throws IOException {
        if (file != null && (position + bytes <= options.fileBytes() || position == WalFiles.HEADER_BYTES)) {
            return;
        }
        if (file != null) {
            // an older file ends with a seal and is complete on disk: only the newest can hold a
            // torn tail, and replay can tell a whole older file from one that lost its end
            file.write(Frame.seal(clock.millis()), position);
            force(file);
            file.close();
            file = null;
            rotations.incrementAndGet();
        }
        if (!directoriesDurable) {
            // the shard directory's entry in the wal directory, and the wal directory's in the
            // data directory, must survive a power loss as much as the files in them
            fs.createDirectories(dir);
            fs.forceDirectory(dir.getParent());
            if (dir.getParent().getParent() != null) {
                fs.forceDirectory(dir.getParent().getParent());
            }
            directoriesDurable = true;
        }
        Path path = dir.resolve(WalFiles.fileName(firstLsn));
        if (options.preallocate()) {
            fs.rename(takeSpare(), path);
        }
        StorageFile f = fs.open(path, true);
        try {
            // the first file of a run follows a file a recovery cut clean, which has no seal
            f.write(WalFiles.header(id, firstLsn, clock.millis(), !wroteAFile
                    ? WalFiles.FIRST_OF_RUN : 0), 0);
            wroteAFile = true;
            f.force();
            fs.forceDirectory(dir);
        } catch (IOException e) {
            f.close();
            throw e;
        }
        file = f;
        position = WalFiles.HEADER_BYTES;
        unforcedSinceNanos = -1;
        if (options.preallocate()) {
            prepareSpare();
        }
    }

    /**
     * Zero-fills the next file off the write path, so a rotation is a rename rather than
     * {@code fileBytes} of writes while acks wait. Its name never parses as a WAL file, so
     * replay ignores a spare left by a crash; the next one overwrites it.
     */
    private void prepareSpare() {
        Path sparePath = dir.resolve(SPARE);
        CompletableFuture<Path> next = new CompletableFuture<>();
        spare = next;
        Thread.ofVirtual().name("wal-shard-" + id + "-prealloc").start(() -> {
            try {
                fs.createDirectories(dir);
                try (StorageFile f = fs.open(sparePath, true)) {
                    f.truncate(0);
                    ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
                    for (long at = 0; at < options.fileBytes(); at += zeros.capacity()) {
                        zeros.clear().limit((int) Math.min(zeros.capacity(), options.fileBytes() - at));
                        f.write(zeros, at);
                    }
                    f.force();
                }
                next.complete(sparePath);
            } catch (IOException | RuntimeException e) {
                next.completeExceptionally(e);
            }
        });
    }

    private Path takeSpare() throws IOException {
        if (spare == null) {
            prepareSpare();
        }
        try {
            return spare.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException("cannot preallocate a WAL file", e);
        } finally {
            spare = null;
        }
    }

    private void closeFile() {
        if (spare != null) {
            spare.exceptionally(e -> null).join(); // do not leave a writer behind on the directory
        }
        if (file == null) {
            return;
        }
        try {
            if (failure.get() == null) {
                force(file);
            }
            file.close();
        } catch (IOException | RuntimeException e) {
            failure.compareAndSet(null, e instanceof IOException io ? io : new IOException(e));
        }
        file = null;
    }

    /** Writes and forces everything queued, then stops the writer thread. */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            queued.signal();
        } finally {
            lock.unlock();
        }
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
