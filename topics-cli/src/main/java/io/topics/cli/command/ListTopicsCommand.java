package io.topics.cli.command;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import io.topics.cli.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code topics topics ls}: every topic, following {@code next_cursor} to the last page. */
@Command(name = "ls", description = "List topics (sorted by name), one JSON object per line, across all pages.")
final class ListTopicsCommand extends ServerCommand {
    @Option(names = "--prefix", paramLabel = "PREFIX", description = "Only topics whose name starts with PREFIX.")
    String prefix;

    @Option(names = "--page-size", paramLabel = "N", defaultValue = "1000",
            description = "Topics per request, 1 to 1000 (default: ${DEFAULT-VALUE}).")
    int pageSize;

    @Override
    int execute() throws Exception {
        requireBetween("--page-size", pageSize, 1, 1000);
        String cursor = null;
        do {
            JsonNode page = client().listTopics(prefix, pageSize, cursor);
            for (JsonNode topic : page.path("topics")) {
                out().println(Json.compact(topic));
            }
            out().flush();
            String next = page.path("next_cursor").textValue();
            if (next != null && next.equals(cursor)) {
                throw new IOException("the server sent the same next_cursor twice: " + next);
            }
            cursor = next;
        } while (cursor != null);
        return ExitCodes.OK;
    }
}
