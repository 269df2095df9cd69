package io.topics.cli.command;

import io.topics.cli.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code topics topics get}: the topic's state as the server reports it. */
@Command(name = "get", description = "Print a topic's state (head_seq, earliest_seq, count, bytes, config ...) as JSON.")
final class GetTopicCommand extends ServerCommand {
    @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic name.")
    String topic;

    @Override
    int execute() throws Exception {
        out().println(Json.pretty(TopicsCommand.withoutPerformance(client().topic(topicName(topic)))));
        return ExitCodes.OK;
    }
}
