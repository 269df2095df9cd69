package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.topics.server.http.ServerFixture.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The /v0 endpoints of spec §4, §5, §6 and §13 over a real socket. */
class HttpApiTest {
    @TempDir
    static Path dir;
    static ServerFixture srv;

    @BeforeAll
    static void start() throws Exception {
        srv = new ServerFixture(dir, Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        srv.close();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> records(Reply r) {
        return (List<Map<String, Object>>) r.json().get("records");
    }

    @Test
    void testsRunInsideTheNamedModule() {
        assertEquals("io.topics.server", HttpApiTest.class.getModule().getName());
    }

    @Test
    void lazyCreateAnswers201ThenWritesAnswer200() {
        Reply first = srv.json("POST", "/v0/topics/lazy", "{\"records\":[{\"data\":1},{\"data\":2}]}");
        assertEquals(201, first.status());
        assertEquals(true, first.json().get("created"));
        assertEquals(List.of(1L, 2L), first.json().get("seqs"));
        assertEquals(1L, first.json().get("first_seq"));
        assertEquals(2L, first.json().get("last_seq"));
        assertEquals(2L, first.json().get("count"));
        assertEquals(false, first.json().get("deduped"));
        assertNotNull(((Map<?, ?>) first.json().get("performance")).get("server_total_ms"));
        Reply second = srv.json("POST", "/v0/topics/lazy?return_seqs=false", "{\"records\":[{\"data\":3}]}");
        assertEquals(200, second.status());
        assertFalse(second.json().containsKey("seqs"));
        assertEquals(3L, second.json().get("head_seq"));
    }

    @Test
    void writeWithCreateFalseOnAnAbsentTopicIs404() {
        Reply r = srv.json("POST", "/v0/topics/never", "{\"records\":[{\"data\":1}],\"create\":false}");
        assertEquals(404, r.status());
        assertEquals("topic_not_found", r.errorCode());
    }

    @Test
    void writeCreateConfigAppliesOnlyWhenCreating() {
        Reply r = srv.json("POST", "/v0/topics/withcfg", "{\"records\":[{\"data\":1}],\"config\":{\"durability\":\"memory\"}}");
        assertEquals(201, r.status());
        assertEquals("memory", config("withcfg").get("durability"));
        srv.json("POST", "/v0/topics/withcfg", "{\"records\":[{\"data\":1}],\"config\":{\"durability\":\"fsync\"}}");
        assertEquals("memory", config("withcfg").get("durability"), "config is ignored on an existing topic");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> config(String topic) {
        return (Map<String, Object>) srv.send("GET", "/v0/topics/" + topic, null).json().get("config");
    }

    @Test
    void idempotencyKeyInBodyAndHeader() {
        Reply a = srv.json("POST", "/v0/topics/idem", "{\"records\":[{\"data\":1}],\"idempotency_key\":\"k1\"}");
        Reply b = srv.json("POST", "/v0/topics/idem", "{\"records\":[{\"data\":1}],\"idempotency_key\":\"k1\"}");
        assertEquals(a.json().get("seqs"), b.json().get("seqs"));
        assertEquals(true, b.json().get("deduped"));
        assertEquals(0L, b.json().get("count"));
        Reply h1 = srv.send("POST", "/v0/topics/idem", "{\"records\":[{\"data\":2}]}",
                "Content-Type", "application/json", "Idempotency-Key", "k2");
        Reply h2 = srv.send("POST", "/v0/topics/idem", "{\"records\":[{\"data\":2}]}",
                "Content-Type", "application/json", "Idempotency-Key", "k2");
        assertEquals(List.of(2L), h1.json().get("seqs"));
        assertEquals(List.of(2L), h2.json().get("seqs"));
        assertEquals(true, h2.json().get("deduped"));
        assertEquals(2L, srv.send("GET", "/v0/topics/idem", null).json().get("head_seq"));
    }

    @Test
    void putIsAnIdempotentUpsert() {
        Reply created = srv.curl("PUT", "/v0/topics/cfg", "{\"ttl_ms\":5000}");
        assertEquals(201, created.status());
        Reply same = srv.curl("PUT", "/v0/topics/cfg", "{\"ttl_ms\":5000}");
        assertEquals(200, same.status());
        assertEquals(false, same.json().get("created"));
        Reply changed = srv.curl("PUT", "/v0/topics/cfg", "{\"cap_records\":10,\"priority\":null}");
        assertEquals(200, changed.status());
        Map<?, ?> c = (Map<?, ?>) changed.json().get("config");
        assertEquals(5000L, c.get("ttl_ms"));
        assertEquals(10L, c.get("cap_records"));
        assertTrue(c.containsKey("priority"));
        assertNull(c.get("priority"));
        assertEquals(201, srv.send("PUT", "/v0/topics/emptybody", null).status(), "an empty body is {}");
        Reply type = srv.curl("PUT", "/v0/topics/cfg", "{\"type\":\"queue\"}");
        assertEquals(409, type.status());
        assertEquals("topic_exists_incompatible", type.errorCode());
    }

    @Test
    void stateListAndCursor() {
        for (String n : new String[] {"ls:a", "ls:b", "ls:c"}) {
            srv.json("POST", "/v0/topics/" + n, "{\"records\":[{\"data\":{\"n\":\"" + n + "\"}}]}");
        }
        Reply state = srv.send("GET", "/v0/topics/ls:a", null);
        Map<String, Object> s = state.json();
        assertEquals("log", s.get("type"));
        assertEquals(1L, s.get("head_seq"));
        assertEquals(1L, s.get("earliest_seq"));
        assertEquals(2L, s.get("next_seq"));
        assertEquals(1L, s.get("count"));
        assertEquals(12L, s.get("bytes"));
        assertNotNull(s.get("last_write_ts"));
        assertEquals("disk", ((Map<?, ?>) s.get("config")).get("durability"));

        Reply page1 = srv.send("GET", "/v0/topics?prefix=ls:&page_size=2", null);
        List<?> topics = (List<?>) page1.json().get("topics");
        assertEquals(2, topics.size());
        assertEquals("ls:a", ((Map<?, ?>) topics.get(0)).get("topic"));
        String cursor = (String) page1.json().get("next_cursor");
        assertNotNull(cursor);
        Reply page2 = srv.send("GET", "/v0/topics?prefix=ls:&page_size=2&cursor=" + cursor, null);
        List<?> rest = (List<?>) page2.json().get("topics");
        assertEquals(1, rest.size());
        assertEquals("ls:c", ((Map<?, ?>) rest.get(0)).get("topic"));
        assertFalse(page2.json().containsKey("next_cursor"), "omitted on the last page");
        assertEquals("invalid_request", srv.send("GET", "/v0/topics?cursor=!!!", null).errorCode());
        assertEquals("invalid_request", srv.send("GET", "/v0/topics?cursor=bm9wZQ", null).errorCode());
        assertEquals("invalid_request", srv.send("GET", "/v0/topics?page_size=zero", null).errorCode());
        assertEquals(404, srv.send("GET", "/v0/topics/ls:none", null).status());
    }

    @Test
    void deleteTopic() {
        srv.json("POST", "/v0/topics/del", "{\"records\":[{\"data\":1}]}");
        Reply refused = srv.send("DELETE", "/v0/topics/del?if_empty=true", null);
        assertEquals(409, refused.status());
        assertEquals("topic_not_empty", refused.errorCode());
        Reply ok = srv.send("DELETE", "/v0/topics/del", null);
        assertEquals(200, ok.status());
        assertEquals(true, ok.json().get("deleted"));
        assertEquals(List.of(), ok.json().get("routers_removed"));
        Reply again = srv.send("DELETE", "/v0/topics/del", null);
        assertEquals(200, again.status());
        assertEquals(false, again.json().get("deleted"));
        assertEquals(404, srv.send("GET", "/v0/topics/del", null).status());
    }

    @Test
    void diffFieldsFlagsAndRecreateTombstone() {
        srv.json("POST", "/v0/topics/rd", "{\"records\":[{\"data\":\"a\",\"tag\":\"t1\",\"meta\":{\"m\":1},\"node\":\"n1\"},"
                + "{\"data\":\"b\",\"node\":\"n2\"},{\"data\":\"c\"}]}");
        Reply all = srv.json("POST", "/v0/topics/rd/diff", "{\"from_seq\":0}");
        Map<String, Object> j = all.json();
        assertEquals("rd", j.get("topic"));
        assertEquals(3L, j.get("next_from_seq"));
        assertEquals(3L, j.get("head_seq"));
        assertEquals(1L, j.get("earliest_seq"));
        assertEquals(true, j.get("caught_up"));
        assertTrue(j.containsKey("tombstone"));
        assertNull(j.get("tombstone"));
        assertEquals(0L, j.get("lag"));
        Map<String, Object> first = records(all).get(0);
        assertEquals(Map.of("$seq", 1L, "$ts", first.get("$ts"), "$node", "n1", "$tag", "t1", "data", "a",
                "meta", Map.of("m", 1L)), first);

        Reply filtered = srv.json("POST", "/v0/topics/rd/diff",
                "{\"from_seq\":0,\"node\":[\"n1\",\"n2\"],\"include_tags\":false,\"include_meta\":false,\"limit\":1}");
        assertEquals(1, records(filtered).size());
        assertEquals(3L, records(filtered).get(0).get("$seq"));
        assertEquals(3L, filtered.json().get("next_from_seq"), "filtered seqs advance the cursor");
        assertEquals(3L, ((Map<?, ?>) filtered.json().get("performance")).get("records_scanned"));

        Reply limited = srv.json("POST", "/v0/topics/rd/diff", "{\"from_seq\":0,\"limit\":2}");
        assertEquals(false, limited.json().get("caught_up"));
        assertEquals(1L, limited.json().get("lag"));

        Reply future = srv.json("POST", "/v0/topics/rd/diff", "{\"from_seq\":99}");
        Map<?, ?> tomb = (Map<?, ?>) future.json().get("tombstone");
        assertEquals("recreated", tomb.get("reason"));
        assertEquals(1L, tomb.get("gap_from"));
        assertEquals(3L, tomb.get("gap_to"));
        assertEquals(3, records(future).size());

        assertEquals(200, srv.send("POST", "/v0/topics/rd/diff", null).status(), "an empty body is from_seq 0");
        assertEquals(404, srv.json("POST", "/v0/topics/nothere/diff", "{}").status());
    }

    @Test
    void longPollIsWokenByAWrite() throws Exception {
        srv.json("POST", "/v0/topics/lp", "{\"records\":[{\"data\":1}]}");
        CompletableFuture<Reply> poll = CompletableFuture.supplyAsync(
                () -> srv.json("POST", "/v0/topics/lp/diff", "{\"from_seq\":1,\"wait_ms\":20000}"));
        Thread.sleep(200);
        assertFalse(poll.isDone());
        long t0 = System.nanoTime();
        srv.json("POST", "/v0/topics/lp", "{\"records\":[{\"data\":2}]}");
        Reply r = poll.get(10, TimeUnit.SECONDS);
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5000);
        assertEquals(2L, records(r).get(0).get("$seq"));
        Reply timeout = srv.json("POST", "/v0/topics/lp/diff", "{\"from_seq\":2,\"wait_ms\":50}");
        assertEquals(List.of(), records(timeout));
        assertEquals(true, timeout.json().get("caught_up"));
    }

    @Test
    void healthReadyAndMetrics() {
        Reply health = srv.send("GET", "/v0/health", null);
        assertEquals("ok", health.json().get("status"));
        assertEquals("0.1.0", health.json().get("version"));
        assertEquals(200, srv.send("GET", "/healthz", null).status());
        Reply ready = srv.send("GET", "/readyz", null);
        assertEquals("ready", ready.json().get("status"));
        assertEquals(true, ready.json().get("wal_replay_complete"));
        srv.json("POST", "/v0/topics/metered", "{\"records\":[{\"data\":1}]}");
        Reply metrics = srv.send("GET", "/v0/metrics", null);
        assertEquals(200, metrics.status());
        assertTrue(metrics.raw().headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        for (String name : new String[] {"topics_topics ", "topics_topics_by_class{class=\"disk\"} ", "topics_records_live ",
            "topics_ready 1", "topics_uptime_ms ", "topics_topic_head_seq{topic=\"metered\"} 1",
            "topics_wal_frames_total ", "topics_wal_fsyncs_total ", "topics_wal_read_only 0",
            "topics_wal_fsync_latency_us_bucket{le=\"+Inf\"} ", "topics_wal_fsync_latency_us_count ",
            "topics_memory_bytes ", "topics_topics_replaying 0", "topics_segments_sealed_total ", "topics_snapshots_total ",
            "topics_checkpoint_failures_total 0"}) {
            assertTrue(metrics.body().contains(name), name + " in\n" + metrics.body());
        }
        Reply json = srv.send("GET", "/v0/metrics", null, "Accept", "application/json");
        assertEquals(true, json.json().get("ready"));
        assertTrue(((Long) json.json().get("topics")) >= 1);
    }
}
