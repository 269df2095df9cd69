package io.topics.server.wiring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Binding safety (spec §14): loopback by default; a non-loopback bind needs keys or
 * {@code TOPICS_ALLOW_INSECURE_NO_AUTH=1}; dev mode says so in the log. The non-loopback
 * binds here listen on 0.0.0.0 for a moment and are reached only through 127.0.0.1.
 */
class BindSafetyTest {
    @TempDir
    Path dir;

    /** Starts a server, reads its health through loopback, and returns what it logged. */
    List<String> startAndProbe(Map<String, String> env) throws Exception {
        Map<String, String> all = new HashMap<>(env);
        all.put("TOPICS_PORT", "0");
        all.put("TOPICS_DATA_DIR", dir.resolve("data").toString());
        List<String> logged = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                logged.add(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger log = Logger.getLogger(TopicsServer.class.getName());
        log.addHandler(capture);
        try (TopicsServer server = TopicsServer.start(ServerConfig.from(all), InstantSource.system())) {
            HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/v0/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
        } finally {
            log.removeHandler(capture);
        }
        return logged;
    }

    static boolean warnsAuthIsOff(List<String> logged) {
        return logged.stream().anyMatch(l -> l.startsWith("WARNING AUTH IS DISABLED"));
    }

    @Test
    void loopbackIsTheDefaultAndDevModeSaysSoLoudly() throws Exception {
        assertEquals("127.0.0.1", ServerConfig.from(Map.of()).host());
        List<String> logged = startAndProbe(Map.of());
        assertTrue(warnsAuthIsOff(logged), logged.toString());
        assertTrue(logged.stream().anyMatch(l -> l.contains("listening on 127.0.0.1:")), logged.toString());
    }

    @Test
    void aNonLoopbackBindNeedsKeysOrTheExplicitOptOut() throws Exception {
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> startAndProbe(
                Map.of("TOPICS_HOST", "0.0.0.0")));
        assertEquals("refusing to bind 0.0.0.0 without auth: set TOPICS_API_KEYS, or TOPICS_ALLOW_INSECURE_NO_AUTH=1 "
                + "to allow it", refused.getMessage());
        assertThrows(IllegalStateException.class, () -> startAndProbe(
                Map.of("TOPICS_HOST", "0.0.0.0", "TOPICS_ALLOW_INSECURE_NO_AUTH", "0")));

        assertFalse(warnsAuthIsOff(startAndProbe(Map.of("TOPICS_HOST", "0.0.0.0", "TOPICS_API_KEYS", "k"))));
        assertTrue(warnsAuthIsOff(startAndProbe(Map.of("TOPICS_HOST", "0.0.0.0", "TOPICS_ALLOW_INSECURE_NO_AUTH", "1"))));
    }
}
