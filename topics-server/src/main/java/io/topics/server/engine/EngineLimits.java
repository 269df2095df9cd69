package io.topics.server.engine;

/**
 * The resource caps the engine enforces (spec §15); 0 means unlimited.
 */
public record EngineLimits(long maxTopics, long maxTotalBytes) {
    public static final EngineLimits DEFAULTS = new EngineLimits(100_000, 0);
}
