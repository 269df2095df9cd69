package io.topics.server.http;

/**
 * The per-request protocol limits of spec §15, read from {@code TOPICS_MAX_*} at start-up, and
 * {@code readTimeoutMs} ({@code TOPICS_READ_TIMEOUT_MS}): the longest wait for a client's next
 * bytes, and the time a request body has to arrive whole; 0 for no limit.
 */
public record ProtocolLimits(long maxBodyBytes, int maxBatchRecords, int maxRecordBytes, int maxMetaBytes,
                             int maxMetaKeys, int maxTagBytes, int maxNodeBytes, int maxLimit,
                             int maxIdempotencyKey, long maxWaitMs, long maxBatchBytes, int maxPageSize,
                             int maxWatchTopics, long readTimeoutMs) {
    public static final ProtocolLimits DEFAULTS = new ProtocolLimits(64L << 20, 10_000, 1 << 20, 16 << 10, 64, 256,
            128, 1000, 256, 30_000, 8L << 20, 1000, 256, 60_000);
}
