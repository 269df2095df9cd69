package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Stream;

import io.topics.server.http.ServerFixture.Reply;
import io.topics.server.wiring.ServerConfig;
import io.topics.server.wiring.TopicsServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys never leave the process's memory (spec §14, reliability "Hostile input and load"): an
 * authenticated session with every kind of call and failure, logged at the finest level, and
 * then the logs, every answer, the metrics and every file of the data directory are searched
 * for each key in plain text, base64, base64url and hex, and for its SHA-256 digest.
 */
class KeyLeakTest {
    @TempDir
    Path dir;

    /** Everything logged through java.util.logging, the way the server logs, with stack traces. */
    static final class Capture extends Handler {
        final StringBuilder text = new StringBuilder();
        final SimpleFormatter format = new SimpleFormatter();

        @Override
        public synchronized void publish(LogRecord r) {
            text.append(r.getLevel()).append(' ').append(r.getLoggerName()).append(": ").append(format.formatMessage(r))
                    .append('\n');
            if (r.getThrown() != null) {
                StringWriter w = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(w));
                text.append(w);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }

        synchronized String text() {
            return text.toString();
        }
    }

    @Test
    void noKeyAppearsInLogsAnswersMetricsOrTheDataDirectory() throws Exception {
        String admin = key();
        String reader = key();
        String writer = key();
        String refused = key();
        Path data = dir.resolve("data");
        List<String> answers = new ArrayList<>();
        Capture logs = new Capture();
        Logger root = Logger.getLogger("");
        Level level = root.getLevel();
        root.addHandler(logs);
        root.setLevel(Level.ALL);
        try {
            try (ServerFixture srv = new ServerFixture(data, Map.of("TOPICS_API_KEYS",
                    admin + "," + reader + ":read:app.," + writer + ":w:app."))) {
                session(srv, answers, admin, reader, writer);
            }
            // a refused start: the message goes to stderr through Main, so it is an answer too
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TopicsServer.start(
                    ServerConfig.from(Map.of("TOPICS_PORT", "0", "TOPICS_DATA_DIR", data.toString(),
                            "TOPICS_API_KEYS", admin + "," + refused + ":reed")), InstantSource.system()));
            answers.add(e.getMessage());
            assertTrue(e.getMessage().contains("key-2 has an unknown scope \"reed\""), e.getMessage());
        } finally {
            root.setLevel(level);
            root.removeHandler(logs);
        }
        assertTrue(logs.text().contains("bearer auth with 3 keys"), "the session was logged at all");

        // every place as Latin-1 text: one char per byte, so String.indexOf finds byte sequences
        Map<String, String> places = new LinkedHashMap<>();
        places.put("the log", latin1(logs.text().getBytes(StandardCharsets.UTF_8)));
        for (int i = 0; i < answers.size(); i++) {
            places.put("answer " + i, latin1(answers.get(i).getBytes(StandardCharsets.UTF_8)));
        }
        try (Stream<Path> files = Files.walk(data)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                places.put(data.relativize(f).toString(), latin1(withoutZeroTail(Files.readAllBytes(f))));
            }
        }
        assertTrue(places.keySet().stream().anyMatch(p -> p.contains("wal")), "the data directory was written: "
                + places.keySet());
        for (String key : List.of(admin, reader, writer, refused)) {
            for (Map.Entry<String, byte[]> form : forms(key).entrySet()) {
                String needle = latin1(form.getValue());
                for (Map.Entry<String, String> place : places.entrySet()) {
                    assertFalse(place.getValue().contains(needle),
                            "a key's " + form.getKey() + " is in " + place.getKey());
                }
            }
        }
    }

    /** Writes, reads, lists, a watch by header and by ?token=, metrics, and failures of each kind. */
    static void session(ServerFixture srv, List<String> answers, String admin, String reader, String writer) {
        String json = "application/json";
        List<Reply> replies = new ArrayList<>();
        replies.add(srv.send("PUT", "/v0/topics/app.orders", "{}", "Content-Type", json, "Authorization", "Bearer " + admin));
        replies.add(srv.send("POST", "/v0/topics/app.orders", "{\"records\":[{\"data\":{\"n\":1},\"tag\":\"t\"}]}",
                "Content-Type", json, "Authorization", "Bearer " + writer, "Idempotency-Key", "i-1"));
        replies.add(srv.send("POST", "/v0/topics/app.orders/diff", "{\"from_seq\":0}", "Content-Type", json,
                "Authorization", "Bearer " + reader));
        replies.add(srv.send("GET", "/v0/topics", null, "Authorization", "Bearer " + reader));
        Reply watch = srv.send("POST", "/v0/watch", "{\"topics\":{\"app.orders\":{\"from_seq\":0}}}", "Content-Type", json,
                "Authorization", "Bearer " + reader);
        replies.add(watch);
        String wid = (String) watch.json().get("wid");
        replies.add(srv.send("GET", "/v0/watch/" + wid + "?token=" + reader, null));
        replies.add(srv.send("GET", "/v0/watch/" + wid, null, "Authorization", "Bearer " + reader));
        replies.add(srv.send("GET", "/v0/metrics", null, "Authorization", "Bearer " + admin));
        replies.add(srv.send("GET", "/v0/metrics", null, "Authorization", "Bearer " + reader, "Accept", json));
        // failures: a wrong key, a key in the wrong place, missing scopes and names, bad input with a good key
        replies.add(srv.send("GET", "/v0/topics/app.orders", null, "Authorization", "Bearer " + reader + "x"));
        replies.add(srv.send("GET", "/v0/topics/app.orders?token=" + reader, null));
        replies.add(srv.send("GET", "/v0/topics/app.orders", null, "Authorization", reader));
        replies.add(srv.send("GET", "/v0/watch/" + wid, null, "Authorization", "Bearer " + writer));
        replies.add(srv.send("GET", "/v0/watch/" + wid + "?token=" + admin, null));
        replies.add(srv.send("POST", "/v0/topics/app.orders", "{\"records\":[{\"data\":1}]}", "Content-Type", json,
                "Authorization", "Bearer " + reader));
        replies.add(srv.send("POST", "/v0/topics/other", "{\"records\":[{\"data\":1}]}", "Content-Type", json,
                "Authorization", "Bearer " + writer));
        replies.add(srv.send("POST", "/v0/topics/app.orders", "{\"records\":[", "Content-Type", json,
                "Authorization", "Bearer " + writer));
        replies.add(srv.send("POST", "/v0/topics/app.orders", "{\"records\":[{\"data\":1}]}",
                "Content-Type", "image/png", "Authorization", "Bearer " + writer));
        replies.add(srv.send("GET", "/v0/nowhere?token=" + admin, null, "Authorization", "Bearer " + admin));
        replies.add(srv.send("PATCH", "/v0/topics/app.orders", null, "Authorization", "Bearer " + admin));
        List<Integer> statuses = replies.stream().map(Reply::status).toList();
        assertEquals(List.of(201, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 403, 403, 400, 415,
                404, 405), statuses);
        for (Reply r : replies) {
            answers.add(r.body());
            answers.add(r.raw().headers().map().toString());
        }
    }

    /** The ways a key could be written down by mistake, each as the bytes to look for. */
    static Map<String, byte[]> forms(String key) throws Exception {
        byte[] plain = key.getBytes(StandardCharsets.UTF_8);
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(plain);
        Map<String, byte[]> forms = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> b : Map.of("plain text", plain, "SHA-256 digest", digest).entrySet()) {
            String name = b.getKey();
            forms.put(name + " (raw)", b.getValue());
            forms.put(name + " in base64", ascii(Base64.getEncoder().withoutPadding().encodeToString(b.getValue())));
            forms.put(name + " in base64url", ascii(Base64.getUrlEncoder().withoutPadding().encodeToString(b.getValue())));
            forms.put(name + " in hex", ascii(HexFormat.of().formatHex(b.getValue())));
            forms.put(name + " in HEX", ascii(HexFormat.of().withUpperCase().formatHex(b.getValue())));
        }
        return forms;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** A preallocated WAL file is mostly zeros after its frames; they can hold nothing, so skip them. */
    static byte[] withoutZeroTail(byte[] bytes) {
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] == 0) {
            end--;
        }
        return Arrays.copyOf(bytes, end);
    }

    static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** A key as {@code topics keys generate} makes them: 32 random bytes, base64url. */
    static String key() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
