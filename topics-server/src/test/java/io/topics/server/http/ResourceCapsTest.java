package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;

import io.topics.server.http.ServerFixture.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spec §15's caps kept by the engine and the watch, read from their settings, as the HTTP client sees them. */
class ResourceCapsTest {
    @TempDir
    Path dir;

    @Test
    void topicsLiveBytesAndWatchSessionsAreCappedWithTheirLimitAndMax() throws Exception {
        try (ServerFixture srv = new ServerFixture(dir, Map.of("TOPICS_MAX_TOPICS", "2", "TOPICS_MAX_TOTAL_BYTES", "20",
                "TOPICS_MAX_WATCH_SESSIONS", "1"))) {
            assertEquals(201, srv.json("PUT", "/v0/topics/a", "{}").status());
            assertEquals(201, srv.json("POST", "/v0/topics/b", "{\"records\":[{\"data\":\"0123456789\"}]}").status());
            throttled(srv.json("PUT", "/v0/topics/c", "{}"), "max_topics", 2);
            throttled(srv.json("POST", "/v0/topics/c", "{\"records\":[{\"data\":1}]}"), "max_topics", 2);
            assertEquals(200, srv.json("PUT", "/v0/topics/a", "{\"ttl_ms\":60000}").status(), "an update always passes");

            throttled(srv.json("POST", "/v0/topics/a", "{\"records\":[{\"data\":\"0123456789\"}]}"),
                    "max_total_bytes", 20);
            assertEquals(1L, srv.send("GET", "/v0/topics/b", null).json().get("head_seq"));

            assertEquals(200, srv.json("POST", "/v0/watch", "{\"topics\":{\"a\":{}}}").status());
            throttled(srv.json("POST", "/v0/watch", "{\"topics\":{\"a\":{}}}"), "max_watch_sessions", 1);
        }
    }

    private static void throttled(Reply r, String limit, long max) {
        assertEquals(429, r.status(), r.body());
        assertEquals("1", r.raw().headers().firstValue("Retry-After").orElse(""), r.body());
        Map<?, ?> error = (Map<?, ?>) r.json().get("error");
        assertEquals("throttled", error.get("code"));
        Map<?, ?> detail = (Map<?, ?>) error.get("detail");
        assertEquals(limit, detail.get("limit"), r.body());
        assertEquals(max, ((Number) detail.get("max")).longValue(), r.body());
    }
}
