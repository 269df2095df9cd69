package io.topics.cli.command;

import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.topics.cli.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code topics write}: appends records whose {@code data} comes from the arguments, a file or
 * stdin (one JSON value per line), in batches that each commit atomically.
 */
@Command(name = "write", description = {
        "Append records to a topic (created on first write) and print the seqs written.",
        "Each DATA argument, or else each non-blank line of --file or stdin, is one record's data (any JSON)."})
final class WriteCommand extends ServerCommand {
    static final int MAX_BATCH = 10_000; // spec §5: more records in one write is batch_too_large

    @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic name.")
    String topic;

    @Parameters(index = "1..*", paramLabel = "DATA", description = "JSON values, e.g. '{\"sku\":\"A1\"}' 42 '\"text\"'.")
    List<String> values = List.of();

    @Option(names = "--file", paramLabel = "PATH", description = "Read JSON lines from PATH ('-' is stdin).")
    String file;

    @Option(names = "--tag", paramLabel = "TAG", description = "Tag every record with TAG.")
    String tag;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "1000",
            description = "Records per request, 1 to " + MAX_BATCH + " (default: ${DEFAULT-VALUE}).")
    int batch;

    private final List<long[]> written = new ArrayList<>(); // merged [first, last] seq ranges
    private long count;
    private ArrayNode pending;

    @Override
    int execute() throws Exception {
        String name = topicName(topic);
        requireBetween("--batch", batch, 1, MAX_BATCH);
        if (!values.isEmpty() && file != null) {
            throw badInput("give records as arguments or with --file, not both");
        }
        try {
            if (!values.isEmpty()) {
                for (int i = 0; i < values.size(); i++) {
                    add(name, values.get(i), "argument " + (i + 1));
                }
            } else {
                try (BufferedReader lines = new BufferedReader(open())) {
                    long n = 0;
                    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                        n++;
                        if (!line.isBlank()) {
                            add(name, line, "line " + n);
                        }
                    }
                }
            }
            flush(name);
        } finally {
            if (count > 0) { // also after a failure, so the user knows what did land
                out().println("wrote " + count + " record" + (count == 1 ? "" : "s") + " to " + name
                        + (count == 1 ? ": seq " : ": seqs ") + ranges());
            }
        }
        if (count == 0) {
            throw new ExitException(ExitCodes.BAD_INPUT, "no records to write: give DATA arguments, --file, or lines on stdin");
        }
        return ExitCodes.OK;
    }

    private Reader open() throws ExitException {
        if (file == null || file.equals("-")) {
            // stdin belongs to the caller: wrap it so that closing the reader leaves it open
            return new InputStreamReader(new FilterInputStream(root().stdin()) {
                @Override
                public void close() {
                }
            }, StandardCharsets.UTF_8);
        }
        try {
            return Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ExitException(ExitCodes.BAD_INPUT, "cannot read --file " + file + ": no such file");
        } catch (IOException e) {
            throw new ExitException(ExitCodes.BAD_INPUT, "cannot read --file " + file + ": " + e.getMessage());
        }
    }

    private void add(String name, String text, String where) throws Exception {
        JsonNode data;
        try {
            data = Json.parse(text);
        } catch (JsonProcessingException e) {
            throw new ExitException(ExitCodes.BAD_INPUT, where + " is not a JSON value: " + e.getOriginalMessage());
        }
        if (pending == null) {
            pending = Json.array();
        }
        ObjectNode record = pending.addObject();
        record.set("data", data);
        if (tag != null) {
            record.put("tag", tag);
        }
        if (pending.size() == batch) {
            flush(name);
        }
    }

    private void flush(String name) throws Exception {
        if (pending == null || pending.isEmpty()) {
            return;
        }
        ObjectNode body = Json.object();
        body.set("records", pending);
        int n = pending.size();
        pending = null;
        JsonNode answer = client().write(name, Json.bytes(body));
        JsonNode seqs = answer.path("seqs");
        long first = answer.path("first_seq").asLong(seqs.path(0).asLong(-1));
        long last = answer.path("last_seq").asLong(seqs.path(seqs.size() - 1).asLong(-1));
        if (first < 1 || last < first) {
            throw new IOException("write answer names no seqs: " + Json.compact(answer));
        }
        count += n;
        long[] tail = written.isEmpty() ? null : written.getLast();
        if (tail != null && tail[1] + 1 == first) {
            tail[1] = last;
        } else {
            written.add(new long[] {first, last}); // another writer got in between
        }
    }

    private String ranges() {
        StringBuilder b = new StringBuilder();
        for (long[] r : written) {
            if (!b.isEmpty()) {
                b.append(", ");
            }
            b.append(r[0]);
            if (r[1] > r[0]) {
                b.append("..").append(r[1]);
            }
        }
        return b.toString();
    }
}
