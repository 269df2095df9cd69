package io.topics.server.engine;

/**
 * An in-band report of records a reader's cursor crossed but can never get (spec §7.2). The
 * range {@code [gapFrom, gapTo]} is exact; only {@code missedEstimate} may be approximate.
 */
public record Tombstone(long gapFrom, long gapTo, String reason, long missedEstimate, long earliestSeq,
                        long headSeq) {
}
