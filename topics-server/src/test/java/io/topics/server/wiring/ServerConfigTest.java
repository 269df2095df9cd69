package io.topics.server.wiring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsServeOneDeveloperOnALaptop() {
        ServerConfig c = ServerConfig.from(Map.of("PATH", "/bin"));
        assertEquals("127.0.0.1", c.host());
        assertEquals(4000, c.port());
        assertEquals(Path.of("./topics-data"), c.dataDir());
        assertNull(c.portFile());
        assertEquals("none", c.authProvider());
        assertEquals(64L << 20, c.protocolLimits().maxBodyBytes());
        assertEquals(100_000, c.engineLimits().maxTopics());
        assertFalse(c.settings().containsKey("PATH"));
    }

    @Test
    void theWatchSessionCapIsASetting() {
        assertEquals(10_000, ServerConfig.from(Map.of()).maxWatchSessions());
        assertEquals(3, ServerConfig.from(Map.of("TOPICS_MAX_WATCH_SESSIONS", "3")).maxWatchSessions());
    }

    @Test
    void theConnectionCapsAreSettings() {
        assertEquals(io.topics.server.http.ConnectionCaps.DEFAULTS, ServerConfig.from(Map.of()).connectionCaps());
        assertEquals(new io.topics.server.http.ConnectionCaps(3, 2, 1), ServerConfig.from(Map.of(
                "TOPICS_MAX_SSE_CONNECTIONS", "3", "TOPICS_MAX_SSE_CONNECTIONS_PER_KEY", "2",
                "TOPICS_MAX_INFLIGHT_PER_KEY", "1")).connectionCaps());
    }

    @Test
    void theReadTimeoutTheConnectionCapAndTheWalQueueAreSettings() {
        assertEquals(60_000, ServerConfig.from(Map.of()).protocolLimits().readTimeoutMs());
        assertEquals(1500, ServerConfig.from(Map.of("TOPICS_READ_TIMEOUT_MS", "1500")).protocolLimits().readTimeoutMs());
        assertEquals(7, ServerConfig.from(Map.of("TOPICS_MAX_CONNECTIONS", "7")).maxConnections());
        assertEquals(-1, ServerConfig.from(Map.of("TOPICS_MAX_CONNECTIONS", "0")).maxConnections(), "0: no cap");
        // unset: below the open-file limit, so running out of descriptors cannot stop the listener
        assertEquals(18_976, ServerConfig.connectionsBelow(20_000));
        assertEquals(256, ServerConfig.connectionsBelow(1024));
        assertEquals(64L << 20, ServerConfig.from(Map.of()).walQueueBytes());
        assertEquals(4096, ServerConfig.from(Map.of("TOPICS_WAL_QUEUE_BYTES", "4096")).walQueueBytes());
        int derived = ServerConfig.from(Map.of()).maxConnections();
        assertTrue(derived == -1 || derived >= 256, "derived " + derived);
    }

    @Test
    void logLevelsAreCheckedNotGuessed() {
        assertEquals("info", ServerConfig.from(Map.of()).logLevel());
        assertEquals("warn", ServerConfig.from(Map.of("TOPICS_LOG", " WARN ")).logLevel());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.from(Map.of("TOPICS_LOG", "verbose")));
        assertTrue(e.getMessage().contains("TOPICS_LOG must be one of"), e.getMessage());
    }

    @Test
    void checkpointSettingsAreReadAndZeroIsRefusedWhereItMakesNoSense() {
        assertEquals(io.topics.server.engine.CheckpointPolicy.DEFAULTS, ServerConfig.from(Map.of()).checkpoints());
        ServerConfig c = ServerConfig.from(Map.of("TOPICS_SEGMENT_MAX_EVENTS", "500", "TOPICS_SEGMENT_MAX_AGE_MS", "0"),
                "--segment-max-bytes", "4096", "--memory-tail-bytes", "1000", "--snapshot-interval-ms", "50");
        assertEquals(500, c.checkpoints().segmentMaxEvents());
        assertEquals(4096, c.checkpoints().segmentMaxBytes());
        assertEquals(0, c.checkpoints().segmentMaxAgeMs(), "0 disables the age trigger");
        assertEquals(1000, c.checkpoints().memoryTailBytes());
        assertEquals(50, c.checkpoints().snapshotIntervalMs());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.from(Map.of("TOPICS_SEGMENT_MAX_EVENTS", "0")));
        assertEquals("TOPICS_SEGMENT_MAX_EVENTS must be at least 1", e.getMessage());
    }

    @Test
    void flagsOverrideTheEnvironmentAndHostMayCarryAPort() {
        ServerConfig c = ServerConfig.from(Map.of("TOPICS_PORT", "1", "TOPICS_API_KEYS", "k"),
                "--port", "0", "--data-dir=/tmp/x", "--max-body-bytes", "10");
        assertEquals(0, c.port());
        assertEquals(Path.of("/tmp/x"), c.dataDir());
        assertEquals(10, c.protocolLimits().maxBodyBytes());
        assertEquals("bearer", c.authProvider(), "keys select bearer by default");
        ServerConfig hp = ServerConfig.from(Map.of("TOPICS_HOST", "0.0.0.0:5000", "TOPICS_PORT", "7"));
        assertEquals("0.0.0.0", hp.host());
        assertEquals(5000, hp.port());
    }

    @Test
    void badSettingsAreRefusedWithTheirName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServerConfig.from(Map.of(), "--colour", "red"))
                .getMessage().contains("unknown flag --colour"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServerConfig.from(Map.of("TOPICS_PORT", "x")))
                .getMessage().contains("TOPICS_PORT"));
        assertThrows(IllegalArgumentException.class, () -> ServerConfig.from(Map.of("TOPICS_PORT", "70000")));
        assertThrows(IllegalArgumentException.class, () -> ServerConfig.from(Map.of(), "--port"));
    }

    @Test
    void portFileHoldsTheBoundAddressAndTheLockFencesASecondServer() throws Exception {
        Path portFile = dir.resolve("run/port");
        Map<String, String> env = Map.of("TOPICS_PORT", "0", "TOPICS_DATA_DIR", dir.resolve("data").toString(),
                "TOPICS_PORT_FILE", portFile.toString());
        try (TopicsServer server = TopicsServer.start(ServerConfig.from(env), InstantSource.system())) {
            assertEquals("127.0.0.1:" + server.port() + "\n", Files.readString(portFile));
            assertTrue(server.port() > 0);
            assertTrue(Files.exists(dir.resolve("data/.topics.lock")));
            long t0 = System.nanoTime();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> TopicsServer.start(ServerConfig.from(env), InstantSource.system()));
            assertTrue(e.getMessage().contains(".topics.lock"), e.getMessage());
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 10_000, "a refusal is quick");
        }
        try (TopicsServer again = TopicsServer.start(ServerConfig.from(env), InstantSource.system())) {
            assertTrue(again.port() > 0, "the lock is released on close");
        }
    }

    @Test
    void aNonLoopbackBindWithoutKeysIsRefused() {
        Map<String, String> env = Map.of("TOPICS_HOST", "0.0.0.0", "TOPICS_PORT", "0",
                "TOPICS_DATA_DIR", dir.toString());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TopicsServer.start(ServerConfig.from(env), InstantSource.system()));
        assertTrue(e.getMessage().contains("TOPICS_ALLOW_INSECURE_NO_AUTH"), e.getMessage());
    }

    @Test
    void keysWithTheNoAuthProviderRefuseToStart() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.from(Map.of("TOPICS_AUTH", "none", "TOPICS_API_KEYS", "s3cret")));
        assertTrue(e.getMessage().contains("TOPICS_AUTH=none") && !e.getMessage().contains("s3cret"), e.getMessage());
        assertEquals("bearer", ServerConfig.from(Map.of("TOPICS_API_KEYS", "s3cret")).authProvider());
        assertEquals("none", ServerConfig.from(Map.of("TOPICS_AUTH", "none")).authProvider());
    }
}
