package io.topics.server.engine;

import io.topics.api.TopicConfig;

/**
 * A consistent-enough snapshot of a topic's state (spec §4.2). Timestamps are null when the
 * event never happened. {@code replaying}: a {@code memory} topic whose records are still
 * being replayed after a restart; its counts are partial until then.
 */
public record TopicInfo(String topic, long headSeq, long earliestSeq, long count, long bytes, TopicConfig config,
                        int effectivePriority, Long lastWriteTs, Long lastReadTs, boolean replaying) {
    public long nextSeq() {
        return headSeq + 1;
    }
}
