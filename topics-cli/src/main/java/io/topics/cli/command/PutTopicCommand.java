package io.topics.cli.command;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.topics.cli.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code topics topics put}: creates or configures a topic (an idempotent upsert). The body
 * is {@code --config} with the single-field options laid over it.
 */
@Command(name = "put", description = {
        "Create a topic or change its config, then print the server's answer.",
        "The config is --config (a JSON object) with the other options laid over it."})
final class PutTopicCommand extends ServerCommand {
    @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic name.")
    String topic;

    @Option(names = "--durability", paramLabel = "CLASS", description = "ephemeral, memory, disk or fsync.")
    String durability;

    @Option(names = "--durable", negatable = true,
            description = "Alias: --durable means fsync, --no-durable means disk (when --durability is absent).")
    Boolean durable;

    @Option(names = "--ttl-ms", paramLabel = "MS", description = "Expire records older than MS (0: off).")
    Long ttlMs;

    @Option(names = "--cap-records", paramLabel = "N", description = "Keep at most N live records (0: off).")
    Long capRecords;

    @Option(names = "--cap-bytes", paramLabel = "N", description = "Keep at most N payload bytes (0: off).")
    Long capBytes;

    @Option(names = "--type", paramLabel = "TYPE", description = "log or queue; cannot change once created.")
    String type;

    @Option(names = "--config", paramLabel = "JSON", description = "A raw topic config object, e.g. '{\"discard\":\"reject\"}'.")
    String config;

    @Override
    int execute() throws Exception {
        String name = topicName(topic);
        ObjectNode body = baseConfig();
        if (durability != null) {
            body.put("durability", durability);
        }
        if (durable != null) {
            body.put("durable", durable);
        }
        putCount(body, "--ttl-ms", "ttl_ms", ttlMs);
        putCount(body, "--cap-records", "cap_records", capRecords);
        putCount(body, "--cap-bytes", "cap_bytes", capBytes);
        if (type != null) {
            if (!type.equals("log") && !type.equals("queue")) {
                throw badInput("--type must be log or queue, got '" + type + "'");
            }
            body.put("type", type);
        }
        out().println(Json.pretty(TopicsCommand.withoutPerformance(client().putTopic(name, body))));
        return ExitCodes.OK;
    }

    private ObjectNode baseConfig() {
        if (config == null) {
            return Json.object();
        }
        JsonNode parsed;
        try {
            parsed = Json.parse(config);
        } catch (JsonProcessingException e) {
            throw badInput("--config is not JSON: " + e.getOriginalMessage());
        }
        if (!(parsed instanceof ObjectNode o)) {
            throw badInput("--config must be a JSON object, got " + Json.compact(parsed));
        }
        return o;
    }

    private void putCount(ObjectNode body, String option, String field, Long value) {
        if (value != null) {
            requireAtLeast(option, value, 0);
            body.put(field, value);
        }
    }
}
