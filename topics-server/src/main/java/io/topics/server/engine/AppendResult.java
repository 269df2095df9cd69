package io.topics.server.engine;

/**
 * The outcome of one write (spec §5).
 *
 * @param count   records appended by this call; 0 when deduped
 * @param created this call created the topic
 * @param deduped the seqs are those of an earlier call with the same idempotency key
 */
public record AppendResult(String topic, long firstSeq, long lastSeq, long headSeq, int count, boolean created,
                           boolean deduped) {
}
