package io.topics.server.engine;

/**
 * The resource caps the engine enforces (spec §15); 0 means unlimited.
 *
 * @param maxTopics      topics that may exist at once
 * @param maxTotalBytes  live payload bytes over all topics ({@code TOPICS_MAX_TOTAL_BYTES})
 * @param maxMemoryBytes payload bytes held in memory (the unsealed tails, and ephemeral topics):
 *                       past it writes answer 429 until checkpoints catch up
 */
public record EngineLimits(long maxTopics, long maxTotalBytes, long maxMemoryBytes) {
    public static final EngineLimits DEFAULTS = new EngineLimits(100_000, 0, 0);

    public EngineLimits(long maxTopics, long maxTotalBytes) {
        this(maxTopics, maxTotalBytes, 0);
    }
}
