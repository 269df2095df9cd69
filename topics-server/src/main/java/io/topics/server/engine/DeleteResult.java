package io.topics.server.engine;

/** What a record delete did (spec §8): how many it removed, and the topic's state after it. */
public record DeleteResult(String topic, long deleted, long earliestSeq, long headSeq, long count, long bytes) {
}
