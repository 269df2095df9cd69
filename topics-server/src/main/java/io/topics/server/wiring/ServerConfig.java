package io.topics.server.wiring;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.topics.server.engine.CheckpointPolicy;
import io.topics.server.engine.EngineLimits;
import io.topics.server.http.ConnectionCaps;
import io.topics.server.http.ProtocolLimits;

/**
 * The server's settings, from {@code TOPICS_*} environment variables overridden by launcher
 * flags ({@code --port 0} or {@code --port=0} sets {@code TOPICS_PORT}). Defaults serve one
 * developer on a laptop (spec §16).
 */
public record ServerConfig(String host, int port, Path portFile, Path dataDir, String logLevel, Path pluginsDir,
                           String authProvider, boolean allowInsecureNoAuth, boolean healthAuth, int walShards,
                           ProtocolLimits protocolLimits, EngineLimits engineLimits, CheckpointPolicy checkpoints,
                           Map<String, String> settings) {

    /** Never prints the keys: a config in a log or a failure message must not carry them. */
    @Override
    public String toString() {
        Map<String, String> shown = new java.util.TreeMap<>(settings);
        shown.computeIfPresent("TOPICS_API_KEYS", (k, v) -> "(" + v.split(",", -1).length + " entries)");
        return "ServerConfig[host=" + host + ", port=" + port + ", dataDir=" + dataDir + ", settings=" + shown + "]";
    }

    /** Every setting the server reads; an unknown launcher flag is refused. */
    static final Set<String> KNOWN = new TreeSet<>(Set.of(
            "TOPICS_HOST", "TOPICS_PORT", "TOPICS_PORT_FILE", "TOPICS_DATA_DIR", "TOPICS_LOG", "TOPICS_PLUGINS_DIR",
            "TOPICS_AUTH", "TOPICS_API_KEYS", "TOPICS_ALLOW_INSECURE_NO_AUTH", "TOPICS_HEALTH_AUTH",
            "TOPICS_MAX_TOPICS", "TOPICS_MAX_TOTAL_BYTES", "TOPICS_MAX_BODY_BYTES", "TOPICS_MAX_BATCH_RECORDS",
            "TOPICS_MAX_RECORD_BYTES", "TOPICS_MAX_META_BYTES", "TOPICS_MAX_TAG_BYTES", "TOPICS_MAX_NODE_BYTES",
            "TOPICS_MAX_LIMIT", "TOPICS_MAX_ROUTERS", "TOPICS_MAX_WATCH_SESSIONS", "TOPICS_SSE_STALL_MS", "TOPICS_SOCKET_SEND_BUFFER_BYTES", "TOPICS_MAX_SSE_CONNECTIONS",
            "TOPICS_MAX_SSE_CONNECTIONS_PER_KEY", "TOPICS_MAX_INFLIGHT_PER_KEY", "TOPICS_MAX_WATCH_TOPICS",
            "TOPICS_MAX_CLAIM", "TOPICS_WAL_SHARDS", "TOPICS_COLD_DIR", "TOPICS_SEGMENT_MAX_EVENTS",
            "TOPICS_SEGMENT_MAX_BYTES", "TOPICS_SEGMENT_MAX_AGE_MS", "TOPICS_HOT_RETAIN_SEGMENTS",
            "TOPICS_HOT_RETAIN_BYTES", "TOPICS_MEMORY_TAIL_BYTES", "TOPICS_SNAPSHOT_INTERVAL_MS",
            "TOPICS_READ_TIMEOUT_MS", "TOPICS_MAX_CONNECTIONS", "TOPICS_WAL_QUEUE_BYTES",
            "TOPICS_COMMIT_WAIT_MS"));

    public ServerConfig {
        settings = Map.copyOf(settings);
    }

    /** Reads {@code env} (only {@code TOPICS_*} keys matter), then applies {@code args}. */
    public static ServerConfig from(Map<String, String> env, String... args) {
        Map<String, String> s = new LinkedHashMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("TOPICS_")) {
                s.put(k, v);
            }
        });
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument \"" + a + "\"; flags look like --port 4000");
            }
            String flag = a.substring(2);
            String value;
            int eq = flag.indexOf('=');
            if (eq >= 0) {
                value = flag.substring(eq + 1);
                flag = flag.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("flag --" + flag + " needs a value");
            }
            String key = "TOPICS_" + flag.toUpperCase(Locale.ROOT).replace('-', '_');
            if (!KNOWN.contains(key)) {
                throw new IllegalArgumentException("unknown flag --" + flag + "; known: " + flagList());
            }
            s.put(key, value);
        }

        String host = s.getOrDefault("TOPICS_HOST", "").isBlank() ? "127.0.0.1" : s.get("TOPICS_HOST").trim();
        int port = (int) number(s, "TOPICS_PORT", 4000);
        int colon = host.lastIndexOf(':');
        if (colon > 0 && host.indexOf(':') == colon) { // host:port (not a bare IPv6 address)
            port = parsePort(host.substring(colon + 1));
            host = host.substring(0, colon);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("TOPICS_PORT must be 0..65535, got " + port);
        }
        ProtocolLimits d = ProtocolLimits.DEFAULTS;
        ProtocolLimits limits = new ProtocolLimits(
                unlimitedIfZero(number(s, "TOPICS_MAX_BODY_BYTES", d.maxBodyBytes())),
                (int) number(s, "TOPICS_MAX_BATCH_RECORDS", d.maxBatchRecords()),
                (int) number(s, "TOPICS_MAX_RECORD_BYTES", d.maxRecordBytes()),
                (int) number(s, "TOPICS_MAX_META_BYTES", d.maxMetaBytes()),
                d.maxMetaKeys(),
                (int) number(s, "TOPICS_MAX_TAG_BYTES", d.maxTagBytes()),
                (int) number(s, "TOPICS_MAX_NODE_BYTES", d.maxNodeBytes()),
                (int) number(s, "TOPICS_MAX_LIMIT", d.maxLimit()),
                d.maxIdempotencyKey(), d.maxWaitMs(), d.maxBatchBytes(), d.maxPageSize(),
                (int) number(s, "TOPICS_MAX_WATCH_TOPICS", d.maxWatchTopics()),
                number(s, "TOPICS_READ_TIMEOUT_MS", d.readTimeoutMs()));
        EngineLimits engine = new EngineLimits(number(s, "TOPICS_MAX_TOPICS", EngineLimits.DEFAULTS.maxTopics()),
                number(s, "TOPICS_MAX_TOTAL_BYTES", EngineLimits.DEFAULTS.maxTotalBytes()), 0,
                number(s, "TOPICS_COMMIT_WAIT_MS", EngineLimits.COMMIT_WAIT_MS));
        CheckpointPolicy cd = CheckpointPolicy.DEFAULTS;
        CheckpointPolicy checkpoints = new CheckpointPolicy(
                positive(s, "TOPICS_SEGMENT_MAX_EVENTS", cd.segmentMaxEvents()),
                positive(s, "TOPICS_SEGMENT_MAX_BYTES", cd.segmentMaxBytes()),
                number(s, "TOPICS_SEGMENT_MAX_AGE_MS", cd.segmentMaxAgeMs()),
                positive(s, "TOPICS_MEMORY_TAIL_BYTES", cd.memoryTailBytes()),
                number(s, "TOPICS_SNAPSHOT_INTERVAL_MS", cd.snapshotIntervalMs()));
        String keys = s.get("TOPICS_API_KEYS");
        String auth = s.getOrDefault("TOPICS_AUTH", keys == null || keys.isBlank() ? "none" : "bearer");
        if (auth.equals("none") && keys != null && !keys.isBlank()) {
            // fail closed: keys an operator set must never be silently ignored
            throw new IllegalArgumentException("TOPICS_API_KEYS is set but TOPICS_AUTH=none would ignore it; "
                    + "unset one of them");
        }
        String plugins = s.get("TOPICS_PLUGINS_DIR");
        String portFile = s.get("TOPICS_PORT_FILE");
        return new ServerConfig(host, port, portFile == null || portFile.isEmpty() ? null : Path.of(portFile),
                Path.of(s.getOrDefault("TOPICS_DATA_DIR", "./topics-data")), logLevel(s),
                plugins == null || plugins.isEmpty() ? null : Path.of(plugins), auth,
                flag(s, "TOPICS_ALLOW_INSECURE_NO_AUTH"), flag(s, "TOPICS_HEALTH_AUTH"), walShards(s), limits, engine, checkpoints, s);
    }

    /** {@code TOPICS_MAX_WATCH_SESSIONS} (spec §15): live watch sessions at most, default 10 000; 0 for no cap. */
    public int maxWatchSessions() {
        return (int) Math.min(Integer.MAX_VALUE, number(settings, "TOPICS_MAX_WATCH_SESSIONS", 10_000));
    }

    /** The caps of spec §15 counted at the HTTP edge: SSE streams, in total and per key, and requests per key. */
    public ConnectionCaps connectionCaps() {
        ConnectionCaps d = ConnectionCaps.DEFAULTS;
        return new ConnectionCaps(number(settings, "TOPICS_MAX_SSE_CONNECTIONS", d.maxSseConnections()),
                number(settings, "TOPICS_MAX_SSE_CONNECTIONS_PER_KEY", d.maxSseConnectionsPerKey()),
                number(settings, "TOPICS_MAX_INFLIGHT_PER_KEY", d.maxInflightPerKey()));
    }

    /**
     * {@code TOPICS_SSE_STALL_MS}: how long one write to an SSE stream may block before the
     * stream is closed (spec §11.6's 30 s); 0 for never.
     */
    public long sseStallMs() {
        return number(settings, "TOPICS_SSE_STALL_MS", 30_000);
    }

    /**
     * {@code TOPICS_SOCKET_SEND_BUFFER_BYTES}: each connection's kernel send buffer; 0 (the
     * default) leaves it to the OS's autotuning. What a client that stopped reading can pin in
     * the kernel is this much per connection (Linux autotunes up to {@code tcp_wmem}'s max).
     */
    public int socketSendBufferBytes() {
        return (int) Math.min(Integer.MAX_VALUE, number(settings, "TOPICS_SOCKET_SEND_BUFFER_BYTES", 0));
    }

    /**
     * {@code TOPICS_WAL_QUEUE_BYTES}: bytes each WAL shard holds queued for the disk (past its
     * first 64 frames) before writes answer {@code 429 throttled}, {@code limit:"wal_queue"}.
     */
    public long walQueueBytes() {
        return positive(settings, "TOPICS_WAL_QUEUE_BYTES", io.topics.wal.WalOptions.DEFAULT_MAX_QUEUED_BYTES);
    }

    /** Descriptors kept for the data directory's files when the connection cap is derived. */
    static final long FILES_RESERVED = 1024;

    /**
     * {@code TOPICS_MAX_CONNECTIONS}: TCP connections open at once; past it new ones wait to be
     * accepted. Unset, it is the process's open-file limit less {@link #FILES_RESERVED} (at
     * least 256): running out of descriptors would stop Helidon's listener for good. 0 for no
     * cap (Helidon's -1), also the default where the limit cannot be read.
     */
    public int maxConnections() {
        long files = openFileLimit();
        long n = number(settings, "TOPICS_MAX_CONNECTIONS", files > 0 ? connectionsBelow(files) : 0);
        return n == 0 ? -1 : (int) Math.min(Integer.MAX_VALUE, n);
    }

    static long connectionsBelow(long openFileLimit) {
        return Math.max(256, openFileLimit - FILES_RESERVED);
    }

    private static long openFileLimit() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : 0;
    }

    /** The log levels {@code TOPICS_LOG} accepts. */
    public static final Set<String> LOG_LEVELS = Set.of("trace", "debug", "info", "warn", "error", "off");

    /** {@code TOPICS_LOG}, lower-cased; a misspelt level is refused rather than quietly read as info. */
    private static String logLevel(Map<String, String> s) {
        String v = s.getOrDefault("TOPICS_LOG", "info").trim().toLowerCase(Locale.ROOT);
        if (!LOG_LEVELS.contains(v)) {
            throw new IllegalArgumentException("TOPICS_LOG must be one of trace, debug, info, warn, error, off; got \""
                    + s.get("TOPICS_LOG") + "\"");
        }
        return v;
    }

    /** {@code TOPICS_WAL_SHARDS}: default min(cores, 8); 1 to 8. */
    private static int walShards(Map<String, String> s) {
        long n = number(s, "TOPICS_WAL_SHARDS", Math.min(Runtime.getRuntime().availableProcessors(), 8));
        if (n < 1 || n > 8) {
            throw new IllegalArgumentException("TOPICS_WAL_SHARDS must be 1..8, got " + n);
        }
        return (int) n;
    }

    private static String flagList() {
        StringBuilder b = new StringBuilder();
        for (String k : KNOWN) {
            b.append(b.isEmpty() ? "" : ", ").append("--").append(k.substring(7).toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        return b.toString();
    }

    private static long number(Map<String, String> s, String key, long dflt) {
        String v = s.get(key);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n < 0) {
                throw new IllegalArgumentException(key + " must not be negative, got " + v);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got \"" + v + "\"");
        }
    }

    private static long positive(Map<String, String> s, String key, long dflt) {
        long n = number(s, key, dflt);
        if (n == 0) {
            throw new IllegalArgumentException(key + " must be at least 1");
        }
        return n;
    }

    private static long unlimitedIfZero(long v) {
        return v == 0 ? Long.MAX_VALUE : v;
    }

    private static int parsePort(String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("TOPICS_HOST has a bad port: \"" + v + "\"");
        }
    }

    private static boolean flag(Map<String, String> s, String key) {
        String v = s.getOrDefault(key, "0").trim();
        return v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes");
    }
}
