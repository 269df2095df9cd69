package io.topics.server.http;

/**
 * The per-request protocol limits of spec §15, read from {@code TOPICS_MAX_*} at start-up.
 */
public record ProtocolLimits(long maxBodyBytes, int maxBatchRecords, int maxRecordBytes, int maxMetaBytes,
                             int maxMetaKeys, int maxTagBytes, int maxNodeBytes, int maxLimit,
                             int maxIdempotencyKey, long maxWaitMs, long maxBatchBytes, int maxPageSize,
                             int maxWatchTopics) {
    public static final ProtocolLimits DEFAULTS = new ProtocolLimits(64L << 20, 10_000, 1 << 20, 16 << 10, 64, 256,
            128, 1000, 256, 30_000, 8L << 20, 1000, 256);
}
