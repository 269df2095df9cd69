package io.topics.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/topics-server} as users run it (spec §16.1): a real process started from the
 * built tree, the port file, SIGTERM to exit 0, lock fencing and quick refusals.
 */
class LauncherIT {
    static final Path LAUNCHER = Path.of("..", "bin", "topics-server").toAbsolutePath().normalize();
    static final String JAVA_HOME = System.getProperty("java.home");

    @TempDir
    Path dir;
    final List<Process> launched = new ArrayList<>();

    /** A server a failed assertion left running would hold its port and data dir past the test. */
    @AfterEach
    void killLeftovers() {
        launched.forEach(Process::destroyForcibly);
    }

    Process launch(Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(LAUNCHER.toString());
        pb.environment().put("JAVA_HOME", JAVA_HOME);
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(dir.resolve("server-" + System.nanoTime() + ".log").toFile());
        Process p = pb.start();
        launched.add(p);
        return p;
    }

    static String awaitPortFile(Path file, Process p) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (Files.exists(file)) {
                return Files.readString(file);
            }
            if (!p.isAlive()) {
                throw new AssertionError("server exited with " + p.exitValue());
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no port file within 10 s");
    }

    @Test
    void startsServesAndExitsZeroOnSigterm() throws Exception {
        Path portFile = dir.resolve("port");
        Map<String, String> env = Map.of("TOPICS_PORT", "0", "TOPICS_PORT_FILE", portFile.toString(),
                "TOPICS_DATA_DIR", dir.resolve("data").toString());
        Process server = launch(env);
        try {
            String hostPort = awaitPortFile(portFile, server);
            assertTrue(hostPort.matches("127\\.0\\.0\\.1:\\d+\\n?"), hostPort);
            String base = "http://" + hostPort.trim();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> write = http.send(HttpRequest.newBuilder(URI.create(base + "/v0/topics/it"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"records\":[{\"data\":{\"n\":1}}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(201, write.statusCode(), write.body());
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/v0/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());

            Process second = launch(env);
            assertTrue(second.waitFor(12, TimeUnit.SECONDS), "a second server on the same data dir gives up quickly");
            assertNotEquals(0, second.exitValue());
        } finally {
            server.destroy(); // SIGTERM
        }
        assertTrue(server.waitFor(5, TimeUnit.SECONDS), "shutdown within 5 s");
        assertEquals(0, server.exitValue());
        // the final checkpoint: the record was sealed and a snapshot names it
        try (var segs = Files.walk(dir.resolve("data").resolve("segments"));
             var snaps = Files.list(dir.resolve("data").resolve("snapshots"))) {
            assertEquals(1, segs.filter(p -> p.toString().endsWith(".seg")).count());
            assertTrue(snaps.anyMatch(p -> p.toString().endsWith(".snap")));
        }
        assertTrue(serverLogs().contains("recovered"), "TOPICS_LOG defaults to info");
        assertTrue(serverLogs().contains("AUTH IS DISABLED"), "dev mode says so loudly");
    }

    @Test
    void aQuietLogLevelHidesInfoAndAMisspeltOneIsRefused() throws Exception {
        Path portFile = dir.resolve("port");
        Process quiet = launch(Map.of("TOPICS_PORT", "0", "TOPICS_PORT_FILE", portFile.toString(),
                "TOPICS_DATA_DIR", dir.resolve("data").toString(), "TOPICS_LOG", "warn"));
        try {
            awaitPortFile(portFile, quiet);
        } finally {
            quiet.destroy();
        }
        assertTrue(quiet.waitFor(5, TimeUnit.SECONDS));
        assertEquals(0, quiet.exitValue());
        String log = serverLogs();
        assertFalse(log.contains("INFO"), log);
        Process bad = launch(Map.of("TOPICS_PORT", "0", "TOPICS_DATA_DIR", dir.resolve("data").toString(),
                "TOPICS_LOG", "verbose"));
        assertTrue(bad.waitFor(10, TimeUnit.SECONDS));
        assertEquals(2, bad.exitValue());
        assertTrue(serverLogs().contains("TOPICS_LOG must be one of"));
    }

    /** Everything the launched servers printed. */
    String serverLogs() throws IOException {
        StringBuilder all = new StringBuilder();
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(x -> x.getFileName().toString().startsWith("server-")).sorted().toList()) {
                all.append(Files.readString(f, StandardCharsets.UTF_8));
            }
        }
        return all.toString();
    }

    @Test
    void refusesANonLoopbackBindWithoutKeysQuickly() throws Exception {
        Process p = launch(Map.of("TOPICS_HOST", "0.0.0.0", "TOPICS_PORT", "0",
                "TOPICS_DATA_DIR", dir.resolve("data").toString()));
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertNotEquals(0, p.exitValue());
        String log = serverLogs();
        assertTrue(log.contains("TOPICS_ALLOW_INSECURE_NO_AUTH"), log);
    }

    @Test
    void refusesAnUnknownScopeQuicklyWithoutNamingAKey() throws Exception {
        long t0 = System.nanoTime();
        Process p = launch(Map.of("TOPICS_PORT", "0", "TOPICS_DATA_DIR", dir.resolve("data").toString(),
                "TOPICS_API_KEYS", "first-secret-key:rw,second-secret-key:read+reed:app."));
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "a refusal within 10 s");
        assertNotEquals(0, p.exitValue());
        String log = serverLogs();
        assertTrue(log.contains("cannot start: TOPICS_API_KEYS key-2 has an unknown scope \"reed\""), log);
        assertFalse(log.contains("secret-key"), log);
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
    }
}
