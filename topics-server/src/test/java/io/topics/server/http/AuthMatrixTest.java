package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.topics.api.spi.auth.Scope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spec §14 and §17 as a matrix: every route that exists × {no key, a wrong key, each scope
 * alone, every scope} × {a name inside the key's allowlist, one outside} × {the key in the
 * {@code Authorization} header, the key as {@code ?token=}}. The expected status of a cell is
 * computed from the rules below, not listed by hand, and each cell is one request to a real
 * server, named after the cell.
 */
class AuthMatrixTest {
    /** What every cell's key may touch; the other side of each cell names a topic under {@code out.}. */
    static final String ALLOWED = "in.";

    /** A cell's caller: its secret (null for none) and its scopes. */
    record Key(String label, String secret, Set<Scope> scopes) {
    }

    static final Key NONE = new Key("no key", null, Set.of());
    static final Key WRONG = new Key("wrong key", secret(), Set.of());
    static final Key READ = new Key("read", secret(), EnumSet.of(Scope.READ));
    static final Key WRITE = new Key("write", secret(), EnumSet.of(Scope.WRITE));
    static final Key DELETE = new Key("delete", secret(), EnumSet.of(Scope.DELETE));
    static final Key ADMIN = new Key("admin", secret(), EnumSet.of(Scope.ADMIN));
    static final Key ALL = new Key("all scopes", secret(), EnumSet.allOf(Scope.class));
    static final List<Key> CALLERS = List.of(NONE, WRONG, READ, WRITE, DELETE, ADMIN, ALL);
    /** Sets every cell up; unrestricted. */
    static final String ROOT = secret();

    enum Credential { HEADER, QUERY }

    /** How a route is guarded. */
    enum Guard {
        /** Nothing is asked (health and readiness by default). */
        OPEN,
        /** A key holding every scope in {@link Route#scopes}. */
        SCOPES,
        /** A watch stream: only the key that created the session, header or {@code ?token=}. */
        CREATOR
    }

    /**
     * One route of §17, with a request that succeeds when allowed: {@code {t}} in the path or
     * body is the cell's topic, {@code {wid}} its watch session, {@code {p}} its name prefix.
     *
     * @param existing whether the cell's topic is created (with two records) before the call
     * @param namesTopic whether the path or body names the topic, so the allowlist applies
     */
    record Route(String method, String path, Guard guard, Set<Scope> scopes, String body, int success,
                 boolean existing, boolean namesTopic) {
        @Override
        public String toString() {
            return method + " " + path + (body == null || !body.contains("config") ? "" : " with config");
        }
    }

    static final String RECORDS = "{\"records\":[{\"data\":{\"n\":1}}]}";
    static final List<Route> ROUTES = List.of(
            new Route("PUT", "/v0/topics/{t}", Guard.SCOPES, Set.of(Scope.ADMIN), "{\"ttl_ms\":60000}", 200, true, true),
            new Route("GET", "/v0/topics/{t}", Guard.SCOPES, Set.of(Scope.READ), null, 200, true, true),
            new Route("GET", "/v0/topics?prefix={p}", Guard.SCOPES, Set.of(Scope.READ), null, 200, true, false),
            new Route("DELETE", "/v0/topics/{t}", Guard.SCOPES, Set.of(Scope.DELETE), null, 200, true, true),
            new Route("POST", "/v0/topics/{t}", Guard.SCOPES, Set.of(Scope.WRITE), RECORDS, 200, true, true),
            new Route("POST", "/v0/topics/{t}", Guard.SCOPES, Set.of(Scope.WRITE, Scope.ADMIN),
                    "{\"config\":{\"cap_records\":10},\"records\":[{\"data\":1}]}", 201, false, true),
            new Route("POST", "/v0/topics/{t}/diff", Guard.SCOPES, Set.of(Scope.READ), "{\"from_seq\":0}", 200, true, true),
            new Route("POST", "/v0/topics/{t}/delete", Guard.SCOPES, Set.of(Scope.DELETE), "{\"before_seq\":2}", 200, true,
                    true),
            new Route("POST", "/v0/watch", Guard.SCOPES, Set.of(Scope.READ), "{\"topics\":{\"{t}\":{\"from_seq\":0}}}", 200,
                    true, true),
            new Route("GET", "/v0/watch/{wid}", Guard.CREATOR, Set.of(), null, 200, true, false),
            new Route("GET", "/v0/metrics", Guard.SCOPES, Set.of(Scope.READ), null, 200, true, false),
            new Route("GET", "/v0/health", Guard.OPEN, Set.of(), null, 200, false, false),
            new Route("GET", "/healthz", Guard.OPEN, Set.of(), null, 200, false, false),
            new Route("GET", "/v0/ready", Guard.OPEN, Set.of(), null, 200, false, false),
            new Route("GET", "/readyz", Guard.OPEN, Set.of(), null, 200, false, false));

    @TempDir
    static Path dir;
    static ServerFixture srv;

    @BeforeAll
    static void start() throws IOException {
        List<String> entries = new ArrayList<>(List.of(ROOT));
        for (Key k : List.of(READ, WRITE, DELETE, ADMIN)) {
            entries.add(k.secret() + ":" + k.scopes().iterator().next().name().toLowerCase() + ":" + ALLOWED);
        }
        entries.add(ALL.secret() + "::" + ALLOWED);
        srv = new ServerFixture(dir, Map.of("TOPICS_API_KEYS", String.join(",", entries)));
    }

    @AfterAll
    static void stop() throws IOException {
        srv.close();
    }

    /** The status a cell must answer, from §14's rules in their order. */
    static int expected(Route route, Key key, boolean inside, Credential credential, boolean ownSession) {
        if (route.guard() == Guard.OPEN) {
            return route.success();
        }
        boolean presented = key != NONE && (credential == Credential.HEADER || route.guard() == Guard.CREATOR);
        if (!presented || key == WRONG) {
            return 401;
        }
        if (route.guard() == Guard.CREATOR) {
            return ownSession ? route.success() : 401;
        }
        if (!key.scopes().containsAll(route.scopes())) {
            return 403;
        }
        if (route.namesTopic() && !inside) {
            return 403;
        }
        return route.success();
    }

    @TestFactory
    List<DynamicTest> everyRouteUnderEveryKeyScopeAndPrefix() {
        List<DynamicTest> cells = new ArrayList<>();
        int n = 0;
        for (Route route : ROUTES) {
            for (Key key : CALLERS) {
                for (boolean inside : new boolean[] {true, false}) {
                    for (Credential credential : Credential.values()) {
                        String topic = (inside ? ALLOWED : "out.") + "c" + n++;
                        String cell = route + " | " + key.label() + " | " + (inside ? "inside" : "outside")
                                + " the allowlist | key in " + credential;
                        cells.add(DynamicTest.dynamicTest(cell, () -> run(cell, route, key, inside, credential, topic)));
                    }
                }
            }
        }
        return cells;
    }

    static void run(String cell, Route route, Key key, boolean inside, Credential credential, String topic) {
        if (route.existing()) {
            assertEquals(201, srv.send("POST", "/v0/topics/" + topic, "{\"records\":[{\"data\":1},{\"data\":2}]}",
                    "Content-Type", "application/json", "Authorization", "Bearer " + ROOT).status(), cell);
        }
        // a key opens a session on its own topic when it may; otherwise the stream it asks for is another key's
        boolean ownSession = key.secret() != null && key != WRONG && key.scopes().contains(Scope.READ) && inside;
        String wid = route.guard() == Guard.CREATOR ? session(topic, ownSession ? key.secret() : ROOT) : "";
        String path = route.path().replace("{t}", topic).replace("{wid}", wid)
                .replace("{p}", inside ? ALLOWED : "out.");
        List<String> headers = new ArrayList<>();
        if (route.body() != null) {
            headers.addAll(List.of("Content-Type", "application/json"));
        }
        if (key.secret() != null && credential == Credential.HEADER) {
            headers.addAll(List.of("Authorization", "Bearer " + key.secret()));
        } else if (key.secret() != null) {
            path += (path.contains("?") ? "&" : "?") + "token=" + key.secret();
        }
        ServerFixture.Reply r = srv.send(route.method(), path,
                route.body() == null ? null : route.body().replace("{t}", topic), headers.toArray(String[]::new));
        String body = r.body();
        int want = expected(route, key, inside, credential, ownSession);
        assertEquals(want, r.status(), cell + ": " + body);
        if (want == 401 || want == 403) {
            assertEquals(want == 401 ? "unauthorized" : "forbidden", TestJson.object(body).get("error") instanceof Map<?, ?> m
                    ? m.get("code") : null, cell + ": " + body);
        }
        if (want / 100 == 2 && route.guard() != Guard.OPEN) {
            // lists and metrics are filtered to the allowlist: an answer to these keys never names an outside topic
            assertFalse(body.contains("out."), cell + " names a topic outside the allowlist: " + body);
        }
    }

    /** Creates a watch session on {@code topic} as {@code secret}. */
    static String session(String topic, String secret) {
        ServerFixture.Reply r = srv.send("POST", "/v0/watch", "{\"topics\":{\"" + topic + "\":{\"from_seq\":0}}}",
                "Content-Type", "application/json", "Authorization", "Bearer " + secret);
        assertEquals(200, r.status(), r.body());
        return (String) r.json().get("wid");
    }

    static String secret() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
