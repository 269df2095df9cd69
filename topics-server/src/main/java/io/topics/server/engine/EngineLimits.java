package io.topics.server.engine;

/**
 * The resource caps the engine enforces (spec §15); 0 means unlimited.
 *
 * @param maxTopics      topics that may exist at once
 * @param maxTotalBytes  live payload bytes over all topics ({@code TOPICS_MAX_TOTAL_BYTES})
 * @param maxMemoryBytes payload bytes held in memory (the unsealed tails, and ephemeral topics):
 *                       past it writes answer 429 until checkpoints catch up
 * @param commitWaitMs   the longest a write waits for its ack point ({@code TOPICS_COMMIT_WAIT_MS}):
 *                       past it, 503 {@code storage_stalled}
 */
public record EngineLimits(long maxTopics, long maxTotalBytes, long maxMemoryBytes, long commitWaitMs) {
    /** Spec §16.1: every request is answered within 10 s. */
    public static final long COMMIT_WAIT_MS = 10_000;
    public static final EngineLimits DEFAULTS = new EngineLimits(100_000, 0, 0);

    public EngineLimits(long maxTopics, long maxTotalBytes) {
        this(maxTopics, maxTotalBytes, 0);
    }

    public EngineLimits(long maxTopics, long maxTotalBytes, long maxMemoryBytes) {
        this(maxTopics, maxTotalBytes, maxMemoryBytes, COMMIT_WAIT_MS);
    }
}
