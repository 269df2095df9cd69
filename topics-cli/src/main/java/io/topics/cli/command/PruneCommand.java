package io.topics.cli.command;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.topics.cli.Json;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code topics topics prune}: permanently deletes records (spec §8) below a seq, by tag, or
 * both (ANDed), then prints the server's answer.
 */
@Command(name = "prune", description = "Permanently delete records below a seq and/or by tag, then print the "
        + "server's answer. Records written after the call are never touched.")
final class PruneCommand extends ServerCommand {
    @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic name.")
    String topic;

    @Option(names = "--before-seq", paramLabel = "SEQ", description = "Delete records with a seq below SEQ.")
    Long beforeSeq;

    @ArgGroup(exclusive = true)
    Match match;

    static final class Match {
        @Option(names = "--tag", paramLabel = "TAG", description = "Delete records tagged exactly TAG.")
        String tag;

        @Option(names = "--tag-prefix", paramLabel = "PREFIX", description = "Delete records whose tag starts with PREFIX.")
        String prefix;
    }

    @Override
    int execute() throws Exception {
        if (beforeSeq == null && match == null) {
            throw new ExitException(ExitCodes.BAD_INPUT, "say which records: --before-seq, --tag or --tag-prefix");
        }
        ObjectNode body = Json.object();
        if (beforeSeq != null) {
            body.put("before_seq", beforeSeq);
        }
        if (match != null) {
            body.putArray("match").add("tag").add(match.tag != null ? "Eq" : "Glob")
                    .add(match.tag != null ? match.tag : match.prefix + "*");
        }
        out().println(Json.pretty(TopicsCommand.withoutPerformance(client().deleteRecords(topicName(topic), body))));
        return ExitCodes.OK;
    }
}
