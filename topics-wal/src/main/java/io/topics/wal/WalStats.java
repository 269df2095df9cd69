package io.topics.wal;

/** Counters of one WAL, summed over its shards. */
public record WalStats(long frames, long batches, long forces, long bytesWritten, long rotations, long queueDepth,
                       long queueDepthPeak, boolean failed) {
}
