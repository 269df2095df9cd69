package io.topics.server.engine;

import java.util.Set;

/**
 * A validated diff request (spec §6.1), with limits already clamped.
 *
 * @param fromSeq       exclusive cursor
 * @param limit         1..max records
 * @param maxBatchBytes byte budget for the records; at least one record is always returned
 * @param waitMs        long-poll budget; 0 answers at once
 * @param nodes         origin nodes the reader does not want to see (loop prevention)
 * @param includeData   false for records without their {@code data} (a watch's metadata-only frames)
 */
public record DiffQuery(long fromSeq, int limit, long maxBatchBytes, long waitMs, boolean includeTags,
                        boolean includeMeta, Set<String> nodes, boolean includeData) {
    public static final int DEFAULT_LIMIT = 256;
    public static final long DEFAULT_MAX_BATCH_BYTES = 1 << 20;

    public DiffQuery {
        nodes = Set.copyOf(nodes);
    }

    /** A query whose records carry their data, as every diff's do. */
    public DiffQuery(long fromSeq, int limit, long maxBatchBytes, long waitMs, boolean includeTags, boolean includeMeta,
                     Set<String> nodes) {
        this(fromSeq, limit, maxBatchBytes, waitMs, includeTags, includeMeta, nodes, true);
    }

    /** A plain read of up to the default number of records after {@code fromSeq}. */
    public static DiffQuery from(long fromSeq) {
        return new DiffQuery(fromSeq, DEFAULT_LIMIT, DEFAULT_MAX_BATCH_BYTES, 0, true, true, Set.of());
    }

    public DiffQuery withLimit(int newLimit) {
        return new DiffQuery(fromSeq, newLimit, maxBatchBytes, waitMs, includeTags, includeMeta, nodes, includeData);
    }

    public DiffQuery withWait(long newWaitMs) {
        return new DiffQuery(fromSeq, limit, maxBatchBytes, newWaitMs, includeTags, includeMeta, nodes, includeData);
    }
}
