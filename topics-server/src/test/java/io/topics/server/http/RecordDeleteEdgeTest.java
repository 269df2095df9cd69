package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import io.topics.server.http.ServerFixture.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The HTTP edge of {@code POST /v0/topics/:t/delete} (spec §8): the answers given before the
 * engine is reached, with the canonical error body, and the topic left as it was.
 */
class RecordDeleteEdgeTest {
    @TempDir
    static Path dir;
    static ServerFixture srv;

    @BeforeAll
    static void start() throws Exception {
        srv = new ServerFixture(dir, Map.of());
        assertEquals(201, srv.json("POST", "/v0/topics/keep", "{\"records\":[{\"data\":1,\"tag\":\"t\"}]}").status());
    }

    @AfterAll
    static void stop() throws Exception {
        srv.close();
    }

    static Stream<Arguments> rejected() {
        String json = "application/json";
        String path = "/v0/topics/keep/delete";
        return Stream.of(
                // name, method, path, content type, body, status, code
                Arguments.of("empty body", "POST", path, null, null, 400, "invalid_request"),
                Arguments.of("no selector", "POST", path, json, "{}", 400, "invalid_request"),
                Arguments.of("only unknown fields", "POST", path, json, "{\"tag\":\"t\"}", 400, "invalid_request"),
                Arguments.of("malformed JSON", "POST", path, json, "{\"before_seq\":", 400, "invalid_request"),
                Arguments.of("negative before_seq", "POST", path, json, "{\"before_seq\":-1}", 400, "invalid_request"),
                Arguments.of("string before_seq", "POST", path, json, "{\"before_seq\":\"2\"}", 400, "invalid_request"),
                Arguments.of("lower-case op", "POST", path, json, "{\"match\":[\"tag\",\"eq\",\"t\"]}", 400, "invalid_request"),
                Arguments.of("glob without *", "POST", path, json, "{\"match\":[\"tag\",\"Glob\",\"t\"]}", 400, "invalid_request"),
                Arguments.of("not tag", "POST", path, json, "{\"match\":[\"node\",\"Eq\",\"t\"]}", 400, "invalid_request"),
                Arguments.of("short tuple", "POST", path, json, "{\"match\":[\"tag\",\"Eq\"]}", 400, "invalid_request"),
                Arguments.of("over-long match", "POST", path, json, "{\"match\":\"" + "t".repeat(257) + "\"}", 400,
                        "invalid_request"),
                Arguments.of("curl -d is JSON", "POST", path, "application/x-www-form-urlencoded", "{}", 400,
                        "invalid_request"),
                Arguments.of("missing content type", "POST", path, null, "{\"before_seq\":2}", 415, "unsupported_media_type"),
                Arguments.of("xml content type", "POST", path, "application/xml", "<delete/>", 415, "unsupported_media_type"),
                Arguments.of("GET", "GET", path, null, null, 405, "method_not_allowed"),
                Arguments.of("PUT", "PUT", path, json, "{\"before_seq\":2}", 405, "method_not_allowed"),
                Arguments.of("DELETE", "DELETE", path, null, null, 405, "method_not_allowed"),
                Arguments.of("sub-route", "POST", path + "/more", json, "{\"before_seq\":2}", 404, "not_found"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejected")
    void answersTheDocumentedErrorAndDeletesNothing(String what, String method, String path, String contentType,
                                                    String body, int status, String code) {
        Reply r = contentType == null ? srv.send(method, path, body) : srv.send(method, path, body, "Content-Type", contentType);
        assertEquals(status, r.status(), what + ": " + r.body());
        assertTrue(r.raw().headers().firstValue("Content-Type").orElse("").startsWith("application/json"), what);
        Map<?, ?> error = (Map<?, ?>) r.json().get("error");
        assertEquals(code, error.get("code"), what);
        assertFalse(((String) error.get("message")).isEmpty(), what);
        assertNotNull(((Map<?, ?>) r.json().get("performance")).get("server_total_ms"), what);
        Map<String, Object> state = srv.send("GET", "/v0/topics/keep", null).json();
        assertEquals(1L, state.get("count"), what);
        assertEquals(1L, state.get("earliest_seq"), what);
    }
}
