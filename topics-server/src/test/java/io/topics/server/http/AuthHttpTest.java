package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.topics.server.http.ServerFixture.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Auth rules the matrix does not reach (spec §13, §14, §11.3): the order of 401, 403 and 404
 * on names that do not exist, the allowlist on every name of a watch body, lists across
 * several prefixes, {@code TOPICS_HEALTH_AUTH}, and watch sessions bound to their key.
 */
class AuthHttpTest {
    static final String KEYS = "root-key,reader:read:b.|d.,writer:w,other-reader:r";

    @TempDir
    Path dir;
    ServerFixture srv;

    @AfterEach
    void stop() throws Exception {
        if (srv != null) {
            srv.close();
        }
    }

    Reply as(String key, String method, String path, String body) {
        return body == null ? srv.send(method, path, null, "Authorization", "Bearer " + key)
                : srv.send(method, path, body, "Content-Type", "application/json", "Authorization", "Bearer " + key);
    }

    static void assertError(int status, String code, Reply r) {
        assertEquals(status, r.status(), r.body());
        assertEquals(code, r.errorCode(), r.body());
    }

    @Test
    void unauthorizedThenForbiddenThenNotFoundWhetherOrNotTheTopicExists() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_API_KEYS", KEYS));
        for (String missing : List.of("b.missing", "zz.missing")) {
            assertError(401, "unauthorized", srv.send("GET", "/v0/topics/" + missing, null));
            assertError(401, "unauthorized", as("not-a-key", "GET", "/v0/topics/" + missing, null));
            assertError(403, "forbidden", as("writer", "GET", "/v0/topics/" + missing, null));
        }
        assertEquals("Bearer realm=\"topics\"", srv.send("GET", "/v0/topics/b.x", null).raw().headers()
                .firstValue("WWW-Authenticate").orElse(null), "a 401 names the scheme (RFC 6750)");
        assertError(403, "forbidden", as("reader", "GET", "/v0/topics/zz.missing", null));
        assertEquals(Map.of("topic", "zz.missing"), errorDetail(as("reader", "GET", "/v0/topics/zz.missing", null)));
        assertError(404, "topic_not_found", as("reader", "GET", "/v0/topics/b.missing", null));
        assertError(403, "forbidden", as("reader", "POST", "/v0/topics/zz.missing/diff", "not json"));
        assertError(401, "unauthorized", srv.send("POST", "/v0/topics/b.x", "x".repeat(100), "Content-Type", "image/png"));
    }

    @Test
    void everyNameOfAWatchBodyIsCheckedBeforeAnyIsLookedUp() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_API_KEYS", KEYS));
        Reply r = as("reader", "POST", "/v0/watch",
                "{\"topics\":{\"b.missing\":{\"from_seq\":0},\"c.secret\":{\"from_seq\":0}}}");
        assertError(403, "forbidden", r);
        assertEquals(Map.of("topic", "c.secret"), errorDetail(r));
        assertError(403, "forbidden", as("reader", "POST", "/v0/watch?lenient=true",
                "{\"topics\":{\"b.missing\":{},\"c.secret\":{}}}"));
    }

    @Test
    void listsShowOnlyAllowedNamesAndPageAcrossPrefixes() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_API_KEYS", KEYS));
        for (String t : List.of("a.1", "b.1", "b.2", "c.1", "d.1", "d.2", "d.3", "e.1")) {
            assertEquals(201, as("root-key", "PUT", "/v0/topics/" + t, "{}").status());
        }
        assertEquals(List.of("b.1", "b.2", "d.1", "d.2", "d.3"), listAll("reader", "", 2));
        assertEquals(List.of("b.1", "b.2", "d.1", "d.2", "d.3"), listAll("reader", "", 5), "a full last page has no next");
        assertEquals(List.of("b.1", "b.2", "d.1", "d.2", "d.3"), listAll("reader", "", 1000));
        assertEquals(List.of("d.2"), listAll("reader", "d.2", 10), "the query prefix narrows an allowed one");
        assertEquals(List.of("b.1", "b.2"), listAll("reader", "b", 10), "an allowed prefix narrows the query's");
        assertEquals(List.of(), listAll("reader", "c.", 10));
        assertEquals(8, listAll("root-key", "", 3).size());
        assertEquals(List.of("b.", "d."), TopicsService.runs(List.of("d.", "b.", "b.x", "d."), ""));
        assertEquals(List.of("b.x"), TopicsService.runs(List.of("b.", "d."), "b.x"));
    }

    /** Every name {@code key} lists under {@code prefix}, page by page. */
    List<String> listAll(String key, String prefix, int pageSize) {
        List<String> names = new ArrayList<>();
        String cursor = null;
        for (int pages = 0; pages < 20; pages++) {
            Map<String, Object> page = as(key, "GET", "/v0/topics?prefix=" + prefix + "&page_size=" + pageSize
                    + (cursor == null ? "" : "&cursor=" + cursor), null).json();
            for (Object t : (List<?>) page.get("topics")) {
                names.add((String) ((Map<?, ?>) t).get("topic"));
            }
            assertTrue(((List<?>) page.get("topics")).size() <= pageSize);
            cursor = (String) page.get("next_cursor");
            if (cursor == null) {
                return names;
            }
            assertEquals(pageSize, ((List<?>) page.get("topics")).size(), "only a last page is short");
        }
        throw new AssertionError("more than 20 pages");
    }

    @Test
    void healthAuthAsksForAnyValidKey() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_API_KEYS", KEYS, "TOPICS_HEALTH_AUTH", "1"));
        for (String path : List.of("/v0/health", "/healthz", "/v0/ready", "/readyz")) {
            assertError(401, "unauthorized", srv.send("GET", path, null));
            assertError(401, "unauthorized", as("not-a-key", "GET", path, null));
            assertEquals(200, as("writer", "GET", path, null).status(), path + " needs no scope");
        }
        assertError(403, "forbidden", as("writer", "GET", "/v0/metrics", null));
        assertEquals(200, as("reader", "GET", "/v0/metrics", null).status());
    }

    @Test
    void devModeLeavesMetricsOpenAndHealthAuthChangesNothing() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_HEALTH_AUTH", "1"));
        for (String path : List.of("/v0/health", "/v0/ready", "/v0/metrics")) {
            assertEquals(200, srv.send("GET", path, null).status(), path);
        }
    }

    @Test
    void aQueryTokenCountsOnlyOnTheWatchStream() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_API_KEYS", KEYS));
        assertEquals(201, as("root-key", "PUT", "/v0/topics/b.t", "{}").status());
        Reply r = srv.send("GET", "/v0/topics/b.t?token=reader", null);
        assertError(401, "unauthorized", r);
        assertTrue(r.body().contains("?token= is accepted only on GET /v0/watch/:wid"), r.body());
        assertError(401, "unauthorized", srv.send("POST", "/v0/watch?token=reader",
                "{\"topics\":{\"b.t\":{}}}", "Content-Type", "application/json"));
        String wid = (String) as("reader", "POST", "/v0/watch", "{\"topics\":{\"b.t\":{}}}").json().get("wid");
        // a wrong header is not rescued by a right ?token=: the header is the credential when present
        assertError(401, "unauthorized", srv.send("GET", "/v0/watch/" + wid + "?token=reader", null,
                "Authorization", "Bearer other-reader"));
    }

    @Test
    void aWatchStreamOpensOnlyForTheKeyThatCreatedIt() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_API_KEYS", KEYS));
        assertEquals(201, as("root-key", "PUT", "/v0/topics/b.t", "{}").status());
        String wid = (String) as("reader", "POST", "/v0/watch", "{\"topics\":{\"b.t\":{}}}").json().get("wid");
        assertError(401, "unauthorized", srv.send("GET", "/v0/watch/" + wid, null));
        for (String other : List.of("other-reader", "root-key", "writer")) {
            Reply r = as(other, "GET", "/v0/watch/" + wid, null);
            assertError(401, "unauthorized", r);
            assertTrue(r.body().contains("belongs to another key"), r.body());
        }
        assertError(404, "not_found", as("reader", "GET", "/v0/watch/wid_AAAAAAAAAAAAAAAAAAAAAA", null));
        // the other keys' attempts took nothing over: the owner's stream still opens, by header and by ?token=
        Reply byHeader = as("reader", "GET", "/v0/watch/" + wid, null);
        assertEquals(200, byHeader.status(), byHeader.body());
        assertEquals(200, srv.send("GET", "/v0/watch/" + wid + "?token=reader", null).status());
    }

    @Test
    void aWriteWithConfigNeedsAdminOnlyWhenItCreates() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_API_KEYS", KEYS));
        Reply refused = as("writer", "POST", "/v0/topics/new", "{\"config\":{\"cap_records\":5},\"records\":[{\"data\":1}]}");
        assertError(403, "forbidden", refused);
        assertEquals(Map.of("scope", "admin"), errorDetail(refused));
        assertError(404, "topic_not_found", as("root-key", "GET", "/v0/topics/new", null));
        assertEquals(201, as("writer", "POST", "/v0/topics/lazy", "{\"records\":[{\"data\":1}]}").status(),
                "a plain write still creates lazily");
        assertEquals(200, as("writer", "POST", "/v0/topics/lazy",
                "{\"config\":{\"cap_records\":5},\"records\":[{\"data\":1}]}").status());
        Map<?, ?> config = (Map<?, ?>) as("root-key", "GET", "/v0/topics/lazy", null).json().get("config");
        assertEquals(0L, config.get("cap_records"), "the config of a write to an existing topic is ignored: " + config);
    }

    static Map<?, ?> errorDetail(Reply r) {
        return (Map<?, ?>) ((Map<?, ?>) r.json().get("error")).get("detail");
    }

    @Test
    void theAllowlistIsAByteExactPrefix() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_API_KEYS", "t42:rw:tenant42:|shared."));
        assertEquals(201, as("t42", "POST", "/v0/topics/tenant42:orders", "{\"records\":[{\"data\":1}]}").status());
        assertEquals(201, as("t42", "POST", "/v0/topics/shared.news", "{\"records\":[{\"data\":1}]}").status());
        for (String outside : List.of("tenant421:orders", "Tenant42:orders", "tenant42", "shared", "xshared.news")) {
            assertError(403, "forbidden", as("t42", "POST", "/v0/topics/" + outside, "{\"records\":[{\"data\":1}]}"));
        }
        assertFalse(as("t42", "GET", "/v0/topics", null).body().contains("tenant421"));
    }

    @Test
    void oddCredentialsAre401NeverA500() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_API_KEYS", KEYS));
        as("root-key", "PUT", "/v0/topics/b.t", "{}");
        String wid = (String) as("reader", "POST", "/v0/watch", "{\"topics\":{\"b.t\":{}}}").json().get("wid");
        // sent byte for byte: the JDK client refuses malformed URIs and non-ASCII header values
        List<String> odd = List.of(
                "/v0/topics/b.t|Authorization: Bearer",
                "/v0/topics/b.t|Authorization: Bearer    ",
                "/v0/topics/b.t|Authorization: Basic cmVhZGVyOg==",
                "/v0/topics/b.t|Authorization: Bearer " + "x".repeat(4000),
                "/v0/topics/b.t|Authorization: Bearer r\u00e9ader",
                "/v0/topics/b.t|Authorization: Bearer reader\u0000",
                "/v0/topics/b.t?token=%zz|X-None: 1",
                "/v0/topics/b.t?token=reader&token=reader|X-None: 1",
                "/v0/watch/" + wid + "?token=%zz|X-None: 1",
                "/v0/watch/" + wid + "?token=|X-None: 1",
                "/v0/watch/" + wid + "?token=other-reader&token=reader|X-None: 1");
        for (String c : odd) {
            String[] pathAndHeader = c.split("\\|", 2);
            String status = rawStatusLine(pathAndHeader[0], pathAndHeader[1]);
            assertTrue(status.startsWith("HTTP/1.1 401") || status.startsWith("HTTP/1.1 400"),
                    c.substring(0, Math.min(70, c.length())) + " -> " + status);
        }
    }

    /** The status line the server answers to a GET sent as raw bytes (ISO-8859-1). */
    String rawStatusLine(String target, String header) throws Exception {
        URI base = URI.create(srv.base);
        try (Socket s = new Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: x\r\n" + header
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(s.getInputStream().readNBytes(200), StandardCharsets.ISO_8859_1);
            return answer.lines().findFirst().orElse("");
        }
    }
}
