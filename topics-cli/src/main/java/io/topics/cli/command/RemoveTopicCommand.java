package io.topics.cli.command;

import io.topics.cli.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code topics topics rm}: deletes a topic; an absent topic is not an error ({@code deleted:false}). */
@Command(name = "rm", description = "Delete a topic with its records, then print the server's answer.")
final class RemoveTopicCommand extends ServerCommand {
    @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic name.")
    String topic;

    @Option(names = "--if-empty", description = "Refuse (topic_not_empty) when the topic still holds records.")
    boolean ifEmpty;

    @Override
    int execute() throws Exception {
        out().println(Json.pretty(TopicsCommand.withoutPerformance(client().deleteTopic(topicName(topic), ifEmpty))));
        return ExitCodes.OK;
    }
}
