package io.topics.server.engine;

import java.util.List;

/**
 * One page of the topic list, sorted by name.
 *
 * @param lastName the name to continue after, or null when this is the last page
 */
public record ListPage(List<TopicInfo> topics, String lastName) {
}
