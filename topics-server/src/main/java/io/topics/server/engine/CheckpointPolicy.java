package io.topics.server.engine;

/**
 * When records leave memory for segment files, and how often a snapshot is written.
 *
 * @param segmentMaxEvents   seal a topic's tail once it holds this many unsealed records
 *                           ({@code TOPICS_SEGMENT_MAX_EVENTS}); also the most records per segment
 * @param segmentMaxBytes    or this many unsealed payload bytes ({@code TOPICS_SEGMENT_MAX_BYTES})
 * @param segmentMaxAgeMs    or when its oldest unsealed record is this old; 0 disables
 *                           ({@code TOPICS_SEGMENT_MAX_AGE_MS})
 * @param memoryTailBytes    above this many payload bytes in memory, the largest tails are sealed
 *                           early, whatever their size ({@code TOPICS_MEMORY_TAIL_BYTES})
 * @param snapshotIntervalMs the least time between two snapshots while the log changes
 *                           ({@code TOPICS_SNAPSHOT_INTERVAL_MS})
 */
public record CheckpointPolicy(long segmentMaxEvents, long segmentMaxBytes, long segmentMaxAgeMs,
                               long memoryTailBytes, long snapshotIntervalMs) {
    public static final CheckpointPolicy DEFAULTS = new CheckpointPolicy(10_000, 64L << 20, 3_600_000, 64L << 20, 2_000);

    public CheckpointPolicy {
        if (segmentMaxEvents < 1 || segmentMaxBytes < 1 || segmentMaxAgeMs < 0 || memoryTailBytes < 1
                || snapshotIntervalMs < 0) {
            throw new IllegalArgumentException("bad checkpoint policy: " + segmentMaxEvents + ", " + segmentMaxBytes
                    + ", " + segmentMaxAgeMs + ", " + memoryTailBytes + ", " + snapshotIntervalMs);
        }
    }
}
