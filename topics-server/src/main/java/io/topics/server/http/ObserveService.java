package io.topics.server.http;

import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.Map;
import java.util.function.Supplier;

import io.helidon.webserver.http.HttpRules;
import io.topics.api.ErrorCode;
import io.topics.api.TopicsException;
import io.topics.api.spi.auth.Scope;
import io.topics.server.engine.Checkpoints;
import io.topics.server.engine.Engine;
import io.topics.server.engine.JsonOut;
import io.topics.server.engine.TopicInfo;
import io.topics.server.watch.WatchSessions;
import io.topics.wal.ForceLatency;
import io.topics.wal.Wal;
import io.topics.wal.WalStats;

/**
 * Health, readiness and metrics (spec §13): the three endpoints that answer during recovery.
 * Metrics are rendered directly as Prometheus text (or JSON) from the engine's own figures.
 */
final class ObserveService {
    static final String VERSION = "0.1.0";
    private static final int MAX_TOPIC_SERIES = 1000;

    private final Engine engine;
    private final ServerState state;
    private final InstantSource clock;
    private final Exchange.Context ctx;
    private final Exchange.Access healthAccess;

    private final Supplier<Wal> wal;
    private final WatchSessions watch;

    ObserveService(Engine engine, ServerState state, InstantSource clock, Exchange.Context ctx, boolean healthAuth,
                   Supplier<Wal> wal, WatchSessions watch) {
        this.wal = wal;
        this.watch = watch;
        this.engine = engine;
        this.state = state;
        this.clock = clock;
        this.ctx = ctx;
        // TOPICS_HEALTH_AUTH asks for a valid key, not a scope: a write-only producer may probe readiness
        this.healthAccess = healthAuth ? Exchange.Access.ANY_KEY : Exchange.Access.OPEN;
    }

    static final String[] PATHS = {"/v0/health", "/healthz", "/v0/ready", "/readyz", "/v0/metrics"};

    void routing(HttpRules rules) {
        rules.get("/v0/health", Exchange.anyPhase(ctx, healthAccess, this::health))
                .get("/healthz", Exchange.anyPhase(ctx, healthAccess, this::health))
                .get("/v0/ready", Exchange.anyPhase(ctx, healthAccess, this::ready))
                .get("/readyz", Exchange.anyPhase(ctx, healthAccess, this::ready))
                .get("/v0/metrics", Exchange.anyPhase(ctx, Exchange.Access.scope(Scope.READ), this::metrics));
    }

    private void health(Exchange ex) {
        JsonOut out = new JsonOut(128);
        out.ascii("{\"status\":\"ok\",\"version\":").string(VERSION)
                .ascii(",\"uptime_ms\":").number(uptimeMs()).raw((byte) ',');
        ex.send(200, out);
    }

    private void ready(Exchange ex) {
        switch (state.phase()) {
            case RECOVERING -> throw new TopicsException(ErrorCode.NOT_READY, "the server is replaying its log",
                    Map.of("replay_progress", state.recoveryProgress()));
            case DRAINING -> throw new TopicsException(ErrorCode.SHUTTING_DOWN, "the server is shutting down");
            case READY -> {
                if (engine.refusingWrites()) {
                    throw new TopicsException(ErrorCode.NOT_READY, "the data directory failed; restart the server",
                            Map.of("reason", "storage_failed"));
                }
                JsonOut out = new JsonOut(128);
                out.ascii("{\"status\":\"ready\",\"wal_replay_complete\":true,\"topics\":")
                        .number(engine.topicCount()).raw((byte) ',');
                ex.send(200, out);
            }
        }
    }

    private void metrics(Exchange ex) {
        Engine.Stats s = engine.stats(MAX_TOPIC_SERIES, ex.principal()::mayTouch); // the cap counts what the caller may see
        String accept = ex.header("Accept");
        if (accept != null && accept.contains("application/json")) {
            JsonOut out = new JsonOut(512);
            out.ascii("{\"topics\":").number(s.topics());
            for (Map.Entry<String, Long> e : s.topicsByClass().entrySet()) {
                out.ascii(",\"topics_").ascii(e.getKey()).ascii("\":").number(e.getValue());
            }
            out.ascii(",\"routers\":0,\"records_live\":").number(s.recordsLive())
                    .ascii(",\"bytes_live\":").number(s.bytesLive())
                    .ascii(",\"records_appended\":").number(s.recordsAppended())
                    .ascii(",\"records_evicted\":").number(s.recordsEvicted())
                    .ascii(",\"records_expired\":").number(s.recordsExpired())
                    .ascii(",\"records_deleted\":").number(s.recordsDeleted())
                    .ascii(",\"queue_topics\":0,\"queue_leases_in_flight\":0,\"sse_connections\":").number(watch.streams())
                    .ascii(",\"watch_sessions\":").number(watch.size())
                    .ascii(",\"ready\":").bool(state.phase() == ServerState.Phase.READY)
                    .ascii(",\"replay_progress\":").ascii(Double.toString(state.recoveryProgress()))
                    .ascii(",\"uptime_ms\":").number(uptimeMs()).raw((byte) ',');
            ex.send(200, out);
            return;
        }
        StringBuilder b = new StringBuilder(1024);
        gauge(b, "topics_topics", "Topics that exist.", s.topics());
        b.append("# HELP topics_topics_by_class Topics per durability class.\n# TYPE topics_topics_by_class gauge\n");
        for (Map.Entry<String, Long> e : s.topicsByClass().entrySet()) {
            b.append("topics_topics_by_class{class=\"").append(e.getKey()).append("\"} ").append(e.getValue()).append('\n');
        }
        gauge(b, "topics_routers", "Routers that exist.", 0);
        gauge(b, "topics_records_live", "Live records across all topics.", s.recordsLive());
        gauge(b, "topics_bytes_live", "Live payload bytes across all topics.", s.bytesLive());
        counter(b, "topics_records_appended_total", "Records appended since start.", s.recordsAppended());
        counter(b, "topics_records_evicted_total", "Records evicted by cap_records/cap_bytes since start.",
                s.recordsEvicted());
        counter(b, "topics_records_expired_total", "Records expired by ttl_ms since start.", s.recordsExpired());
        counter(b, "topics_records_deleted_total", "Records deleted by /delete since start.", s.recordsDeleted());
        gauge(b, "topics_queue_topics", "Topics in queue mode.", 0);
        gauge(b, "topics_queue_leases_in_flight", "Queue leases held.", 0);
        gauge(b, "topics_sse_connections", "Open SSE streams.", watch.streams());
        gauge(b, "topics_watch_sessions", "Watch sessions.", watch.size());
        gauge(b, "topics_ready", "1 when the server serves every endpoint.", state.phase() == ServerState.Phase.READY ? 1 : 0);
        b.append("# HELP topics_recovery_progress Log replay progress, 0 to 1.\n# TYPE topics_recovery_progress gauge\n")
                .append("topics_recovery_progress ").append(state.recoveryProgress()).append('\n');
        gauge(b, "topics_uptime_ms", "Milliseconds since start.", uptimeMs());
        walSeries(b, wal.get(), engine.throttledWrites());
        gauge(b, "topics_memory_bytes", "Payload bytes held in memory: unsealed tails and ephemeral topics.",
                engine.memoryBytes());
        gauge(b, "topics_topics_replaying", "memory topics whose log is still being replayed after a restart (503 until done).",
                engine.replayingTopics());
        Checkpoints.Stats cp = engine.checkpointStats();
        if (cp != null) {
            counter(b, "topics_segments_sealed_total", "Segment files sealed.", cp.seals());
            counter(b, "topics_snapshots_total", "Snapshots written.", cp.snapshots());
            counter(b, "topics_checkpoint_failures_total", "Checkpoint rounds that failed (retried; the WAL keeps everything).",
                    cp.failures());
        }
        topicSeries(b, s);
        ex.sendText("text/plain; version=0.0.4; charset=utf-8", b.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The WAL's counters and force latencies; absent until recovery opened the WAL. */
    private static void walSeries(StringBuilder b, Wal wal, long engineThrottled) {
        if (wal == null) {
            return;
        }
        WalStats w = wal.stats();
        counter(b, "topics_wal_frames_total", "WAL frames written.", w.frames());
        counter(b, "topics_wal_batches_total", "Group-commit rounds written.", w.batches());
        counter(b, "topics_wal_fsyncs_total", "WAL forces.", w.forces());
        counter(b, "topics_wal_bytes_written_total", "WAL bytes written.", w.bytesWritten());
        counter(b, "topics_wal_rotations_total", "WAL file rotations.", w.rotations());
        gauge(b, "topics_wal_queue_depth", "Frames queued for the WAL writers.", w.queueDepth());
        gauge(b, "topics_wal_queue_depth_peak", "Most frames ever queued on one shard.", w.queueDepthPeak());
        counter(b, "topics_wal_submit_full_total", "Writes answered 429 because the WAL queue was full.",
                engineThrottled);
        gauge(b, "topics_wal_read_only", "1 after a WAL write or force failed: writes are refused until restart.",
                w.failed() ? 1 : 0);
        ForceLatency latency = wal.forceLatency();
        long[] cumulative = latency.cumulative();
        b.append("# HELP topics_wal_fsync_latency_us WAL force latency in microseconds.\n")
                .append("# TYPE topics_wal_fsync_latency_us histogram\n");
        for (int i = 0; i < cumulative.length; i++) {
            String le = i < ForceLatency.BOUNDS_US.length ? Long.toString(ForceLatency.BOUNDS_US[i]) : "+Inf";
            b.append("topics_wal_fsync_latency_us_bucket{le=\"").append(le).append("\"} ").append(cumulative[i]).append('\n');
        }
        b.append("topics_wal_fsync_latency_us_sum ").append(latency.sumMicros()).append('\n')
                .append("topics_wal_fsync_latency_us_count ").append(cumulative[cumulative.length - 1]).append('\n');
    }

    private static void counter(StringBuilder b, String name, String help, long value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" counter\n")
                .append(name).append(' ').append(value).append('\n');
    }

    /** Per-topic gauges, only for the topics the caller's allowlist covers: names are what it guards. */
    private static void topicSeries(StringBuilder b, Engine.Stats s) {
        String[][] series = {
            {"topics_topic_head_seq", "Highest assigned seq per topic."},
            {"topics_topic_earliest_seq", "First live seq per topic."},
            {"topics_topic_records_live", "Live records per topic."},
            {"topics_topic_bytes_live", "Live payload bytes per topic."}};
        for (int k = 0; k < series.length; k++) {
            b.append("# HELP ").append(series[k][0]).append(' ').append(series[k][1]).append('\n')
                    .append("# TYPE ").append(series[k][0]).append(" gauge\n");
            for (TopicInfo t : s.perTopic()) {
                long v = switch (k) {
                    case 0 -> t.headSeq();
                    case 1 -> t.earliestSeq();
                    case 2 -> t.count();
                    default -> t.bytes();
                };
                // topic names are [A-Za-z0-9._:-]: nothing to escape in a label value
                b.append(series[k][0]).append("{topic=\"").append(t.topic()).append("\"} ").append(v).append('\n');
            }
        }
        gauge(b, "topics_topic_metrics_truncated", "1 when per-topic series were capped at " + MAX_TOPIC_SERIES + " topics.",
                s.perTopicTruncated() ? 1 : 0);
    }

    private static void gauge(StringBuilder b, String name, String help, long value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" gauge\n")
                .append(name).append(' ').append(value).append('\n');
    }

    private long uptimeMs() {
        return Math.max(0, clock.millis() - state.startedAtMs());
    }
}
