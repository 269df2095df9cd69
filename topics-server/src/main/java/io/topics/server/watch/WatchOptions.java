package io.topics.server.watch;

import java.util.Set;

/**
 * How a session delivers (spec §11.1), already validated and clamped.
 *
 * @param nodes        origin nodes whose records are hidden (loop prevention), empty for none
 * @param strong       deliver a record only once it is durable per its topic's class
 */
public record WatchOptions(Set<String> nodes, int limit, long maxBatchBytes, long heartbeatMs, boolean includeMeta,
                           boolean includeTags, boolean includeData, boolean strong) {
    public static final int DEFAULT_LIMIT = 256;
    public static final long DEFAULT_MAX_BATCH_BYTES = 262_144;
    public static final long DEFAULT_HEARTBEAT_MS = 15_000;
    public static final WatchOptions DEFAULTS = new WatchOptions(Set.of(), DEFAULT_LIMIT, DEFAULT_MAX_BATCH_BYTES,
            DEFAULT_HEARTBEAT_MS, true, true, true, false);

    public WatchOptions {
        nodes = Set.copyOf(nodes);
        if (limit < 1 || maxBatchBytes < 1 || heartbeatMs < 1) {
            throw new IllegalArgumentException("limit, max_batch_bytes and heartbeat_ms are positive");
        }
    }
}
