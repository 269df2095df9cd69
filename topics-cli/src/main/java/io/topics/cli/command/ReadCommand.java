package io.topics.cli.command;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import io.topics.cli.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code topics read}: a diff loop (spec §6). The cursor is the seq, so the loop keeps no
 * state but {@code next_from_seq}; {@code caught_up}, not an empty page, means "done for now".
 * With {@code --follow} it reads the topic's watch stream instead (spec §11), reconnecting
 * with the last event id when the connection drops.
 */
@Command(name = "read", description = {
        "Print a topic's records, one JSON object per line ($seq, $ts, $tag, data ...), as they arrive.",
        "Stops when caught up with the head, unless --follow. A tombstone (records lost to a cap or TTL) is reported on stderr."})
final class ReadCommand extends ServerCommand {
    private static final int MAX_PAGE = 1000; // the server clamps diff limits to this
    /** A follow gives up after this many reconnects in a row that brought nothing, half a second apart. */
    private static final int MAX_RECONNECTS = 60;
    private static final long RECONNECT_PAUSE_MS = 500;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic name.")
    String topic;

    @Option(names = "--from-seq", paramLabel = "SEQ", defaultValue = "0",
            description = "Start after SEQ (exclusive); 0 is the earliest record (default: ${DEFAULT-VALUE}).")
    long fromSeq;

    @Option(names = "--limit", paramLabel = "N", description = "Stop after N records in total.")
    Long limit;

    @Option(names = {"-f", "--follow"},
            description = "Keep reading new records as they are written (the topic's watch stream, pushed by the server).")
    boolean follow;

    @Override
    int execute() throws Exception {
        String name = topicName(topic);
        requireAtLeast("--from-seq", fromSeq, 0);
        if (limit != null) {
            requireAtLeast("--limit", limit, 1);
        }
        if (follow) {
            return follow(name);
        }
        long cursor = fromSeq;
        long printed = 0;
        while (limit == null || printed < limit) {
            int ask = (int) Math.min(MAX_PAGE, limit == null ? MAX_PAGE : limit - printed);
            JsonNode answer = client().diff(name, cursor, ask, 0);
            reportTombstone(answer.path("tombstone"));
            JsonNode records = answer.path("records");
            for (JsonNode record : records) {
                if (limit != null && printed == limit) {
                    break;
                }
                out().println(Json.compact(record));
                printed++;
            }
            out().flush();
            long next = answer.path("next_from_seq").asLong(cursor);
            boolean caughtUp = answer.path("caught_up").asBoolean(false);
            if (!caughtUp && records.isEmpty() && next == cursor && !answer.path("tombstone").isObject()) {
                throw new IOException("the server did not advance the cursor past " + cursor);
            }
            cursor = next;
            if (caughtUp) {
                break;
            }
        }
        return ExitCodes.OK;
    }

    /**
     * Follows the topic's watch stream: record frames print their records, tombstones are said
     * on stderr, a deleted topic ends it. A dropped connection reconnects with the last event
     * id; a session the server no longer knows (a restart) is created again from the cursor.
     */
    private int follow(String name) throws Exception {
        long[] printed = {0};
        long[] cursor = {fromSeq};
        String[] lastId = {null};
        boolean[] deleted = {false};
        int[] error = {0};
        String wid = client().watch(name, cursor[0]);
        int failures = 0;
        while (limit == null || printed[0] < limit) {
            long before = printed[0];
            error[0] = 0;
            try {
                if (wid == null) {
                    wid = client().watch(name, cursor[0]); // the server forgot the session (a restart)
                    lastId[0] = null;
                }
                client().stream(wid, lastId[0], e -> {
                    JsonNode d = data(e);
                    switch (e.event()) {
                        case "record" -> {
                            for (JsonNode record : d.path("records")) {
                                if (limit != null && printed[0] == limit) {
                                    break;
                                }
                                out().println(Json.compact(record));
                                printed[0]++;
                                cursor[0] = record.path("$seq").asLong(cursor[0]);
                            }
                            out().flush();
                        }
                        case "tombstone" -> reportTombstone(d);
                        case "topic-deleted" -> deleted[0] = true;
                        case "error" -> error[0] = d.path("code").asInt();
                        default -> {
                        }
                    }
                    if (e.id() != null) {
                        lastId[0] = e.id();
                    }
                    return !deleted[0] && (limit == null || printed[0] < limit);
                });
                if (error[0] == 410) {
                    wid = null; // collected: a new session from where we are
                }
            } catch (IOException dropped) {
                // reconnect below; the session keeps the cursor
            } catch (io.topics.cli.ApiException gone) {
                if (gone.status() == 404 || gone.status() == 410) {
                    wid = null;
                } else if (gone.status() != 503) {
                    throw gone;
                }
            }
            if (deleted[0]) {
                err().println("topic " + name + " was deleted");
                return ExitCodes.ERROR;
            }
            failures = printed[0] > before ? 0 : failures + 1;
            if (failures > MAX_RECONNECTS) {
                throw new IOException("the watch stream of " + name + " keeps failing; gave up after "
                        + MAX_RECONNECTS + " tries");
            }
            if (failures > 0 && (limit == null || printed[0] < limit)) {
                Thread.sleep(RECONNECT_PAUSE_MS);
            }
        }
        return ExitCodes.OK;
    }

    private static JsonNode data(io.topics.cli.TopicsClient.Event e) {
        try {
            return e.data().isEmpty() ? Json.object() : Json.parse(e.data());
        } catch (IOException bad) {
            throw new java.io.UncheckedIOException(bad);
        }
    }

    /** A gap is never an error (spec §7): say what was lost and read on. */
    private void reportTombstone(JsonNode t) {
        if (!t.isObject()) {
            return;
        }
        err().println("tombstone: seqs " + t.path("gap_from").asLong() + ".." + t.path("gap_to").asLong()
                + " are gone (reason " + t.path("reason").asText("unknown") + ", about "
                + t.path("missed_estimate").asLong() + " records); reading on from seq "
                + t.path("earliest_seq").asLong());
        err().flush();
    }
}
