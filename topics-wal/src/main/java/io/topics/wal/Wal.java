package io.topics.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.topics.api.spi.durability.AckPoint;
import io.topics.api.storage.Storage;

/**
 * The write-ahead log: {@link WalOptions#shards()} independent shards, each with one writer
 * thread and its own files under {@code <wal dir>/shard-<n>/}. A topic always maps to the same
 * shard (a stable hash of its id), and every frame gets a global lsn, so replay can merge the
 * shards of any earlier shard count back into one order.
 *
 * <p>Start it after {@link WalReplay} has read what is on disk, with the lsn replay returned.
 */
public final class Wal implements AutoCloseable {
    private final Storage fs;
    private final Path walDir;
    private final WalShard[] shards;
    private final AtomicLong lsns;

    private final ForceLatency forceLatency;
    /** The first write or force failure of any shard; shared by all of them. */
    private final AtomicReference<IOException> failure;

    private Wal(Storage fs, Path walDir, WalShard[] shards, long nextLsn, ForceLatency forceLatency,
                AtomicReference<IOException> failure) {
        this.failure = failure;
        this.fs = fs;
        this.walDir = walDir;
        this.shards = shards;
        this.lsns = new AtomicLong(nextLsn);
        this.forceLatency = forceLatency;
    }

    public static Wal start(Storage fs, Path walDir, WalOptions options, long nextLsn, InstantSource clock)
            throws IOException {
        fs.createDirectories(walDir);
        for (Path dir : fs.list(walDir)) {
            if (dir.getFileName().toString().startsWith(WalFiles.SHARD_PREFIX)) {
                for (Path f : fs.list(dir)) {
                    if (WalFiles.firstLsn(f) > nextLsn) {
                        // a new file would sort before it while holding later lsns: replay and
                        // truncation both rely on names ordering the frames
                        throw new IllegalStateException("WAL file " + f + " is named above the next lsn " + nextLsn
                                + "; start from the lsn recovery returned");
                    }
                }
            }
        }
        WalShard[] shards = new WalShard[options.shards()];
        AtomicReference<IOException> failure = new AtomicReference<>();
        ForceLatency forceLatency = new ForceLatency();
        for (int i = 0; i < shards.length; i++) {
            shards[i] = new WalShard(i, fs, walDir, options, clock, failure, forceLatency);
        }
        return new Wal(fs, walDir, shards, nextLsn, forceLatency, failure);
    }

    /**
     * Queues a frame on the topic's shard. The future completes when the frame is committed as
     * {@code ack} asks: at once for {@link AckPoint#ENQUEUED}, after its {@code write} for
     * {@link AckPoint#WRITTEN}, after the covering {@code force} for {@link AckPoint#FORCED};
     * it fails with {@link WalFailedException} when the write or force failed. Frames of one
     * topic are written in the order this method is called for them.
     *
     * @param payload must not change afterwards: the WAL keeps the reference until written
     * @throws WalFailedException when the WAL already failed
     */
    public CompletableFuture<Void> append(FrameType type, int flags, long topicId, long seq, long ts,
                                          ByteBuffer payload, AckPoint ack) {
        return shards[shardOf(topicId, shards.length)].append(lsns, type, flags, topicId, seq, ts, payload, ack);
    }

    /**
     * Whether the topic's shard can take {@code payloadBytes} more, for a writer acked at
     * {@code ack}, without passing its queue bound. A caller that gets false should back off
     * (the HTTP edge answers 429) rather than queue more work than the disk keeps up with.
     */
    public boolean hasRoom(long topicId, long payloadBytes, AckPoint ack) {
        return shards[shardOf(topicId, shards.length)].hasRoom(payloadBytes + Frame.HEADER_BYTES, ack);
    }

    /** The shard a topic id maps to with {@code count} shards: a stable mix of the id. */
    public static int shardOf(long topicId, int count) {
        long h = topicId * 0x9E3779B97F4A7C15L;
        h ^= h >>> 32;
        return (int) Long.remainderUnsigned(h, count);
    }

    /** The lsn the next frame will get. */
    public long nextLsn() {
        return lsns.get();
    }

    /** True once any shard failed a write or force; the WAL then refuses all writes. */
    public boolean failed() {
        return failure.get() != null;
    }

    public WalStats stats() {
        long[] v = new long[7];
        for (WalShard s : shards) {
            s.addStats(v);
        }
        return new WalStats(v[0], v[1], v[2], v[3], v[4], v[5], v[6], failed());
    }

    /** How long forces took, over every shard. */
    public ForceLatency forceLatency() {
        return forceLatency;
    }

    /**
     * Deletes WAL files that hold only frames below {@code lsn}: a checkpoint made them
     * redundant. Every shard directory found counts, also those of an earlier, larger shard
     * count. A shard's newest file is never deleted, so replay always finds where each shard
     * ended. Before the first file goes, the truncation mark ({@link WalReplay.Result#truncatedBelow()})
     * is raised to {@code lsn}. Returns the number of files deleted.
     */
    public int truncateBefore(long lsn) throws IOException {
        return truncateBefore(fs, walDir, lsn);
    }

    /** {@link #truncateBefore(long)} for a WAL that is not running. */
    public static int truncateBefore(Storage fs, Path walDir, long lsn) throws IOException {
        boolean marked = false;
        int deleted = 0;
        for (Path dir : fs.list(walDir)) {
            if (!dir.getFileName().toString().startsWith(WalFiles.SHARD_PREFIX)) {
                continue;
            }
            List<Path> files = fs.list(dir).stream().filter(p -> WalFiles.firstLsn(p) >= 0).toList();
            int n = 0;
            // file i holds lsns below the first lsn of file i + 1
            while (n + 1 < files.size() && WalFiles.firstLsn(files.get(n + 1)) <= lsn) {
                if (!marked) {
                    // durable before anything goes: recovery must know the WAL is no longer whole
                    TruncationMark.raise(fs, walDir, lsn);
                    marked = true;
                }
                fs.delete(files.get(n));
                n++;
            }
            if (n > 0) {
                fs.forceDirectory(dir);
                deleted += n;
            }
        }
        return deleted;
    }

    /** Writes and forces whatever is queued, then stops every shard. */
    @Override
    public void close() {
        for (WalShard s : shards) {
            s.close();
        }
    }
}
