package io.topics.server.engine;

import io.topics.api.TopicConfig;

/** The outcome of a create-or-configure call (spec §4.1). */
public record PutResult(String topic, boolean created, TopicConfig config) {
}
