package io.topics.cli.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;

/** {@code topics topics ...}: the topic lifecycle of spec §4. */
@Command(name = "topics",
        description = "List, inspect, create or configure, and delete topics, and delete records.",
        subcommands = {ListTopicsCommand.class, GetTopicCommand.class, PutTopicCommand.class, RemoveTopicCommand.class,
                PruneCommand.class})
final class TopicsCommand {

    /** The per-request timings say nothing about the topic, so the admin commands leave them out. */
    static JsonNode withoutPerformance(JsonNode answer) {
        if (answer instanceof ObjectNode o) {
            o.remove("performance");
        }
        return answer;
    }
}
