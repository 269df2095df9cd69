package io.topics.wal;

/**
 * How the WAL writes.
 *
 * @param shards              independent writers, each with its own files and group commit (1..8)
 * @param fileBytes           rotate to a new file once a file would grow past this
 * @param preallocate         zero-fill each new file to {@code fileBytes} when it is created, so
 *                            appends do not grow the file (and its metadata) on every force
 * @param backgroundForceMs   how long written-but-unforced bytes ({@code disk}, {@code memory})
 *                            may wait for a force while the shard is idle
 * @param maxQueuedBytes      payload bytes a shard may hold queued before {@link Wal#hasRoom}
 *                            says no (past its first 64 frames, which always fit): what keeps
 *                            memory bounded when writers outrun the disk
 */
public record WalOptions(int shards, long fileBytes, boolean preallocate, long backgroundForceMs, long maxQueuedBytes) {
    public static final int MAX_SHARDS = 8;
    public static final long DEFAULT_MAX_QUEUED_BYTES = 64L << 20;

    public WalOptions(int shards, long fileBytes, boolean preallocate, long backgroundForceMs) {
        this(shards, fileBytes, preallocate, backgroundForceMs, DEFAULT_MAX_QUEUED_BYTES);
    }

    public WalOptions {
        if (shards < 1 || shards > MAX_SHARDS) {
            throw new IllegalArgumentException("WAL shards must be 1.." + MAX_SHARDS + ", got " + shards);
        }
        if (fileBytes < WalFiles.HEADER_BYTES + Frame.HEADER_BYTES) {
            throw new IllegalArgumentException("WAL file size too small: " + fileBytes);
        }
    }

    /** {@code min(cores, 8)} shards, 64 MiB preallocated files, a 1 s background force. */
    public static WalOptions defaults() {
        return new WalOptions(Math.min(Runtime.getRuntime().availableProcessors(), MAX_SHARDS), 64L << 20, true, 1000);
    }
}
