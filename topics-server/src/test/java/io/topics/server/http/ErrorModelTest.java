package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import io.topics.server.http.ServerFixture.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Spec §1.6-1.7: every kind of bad input answers its documented status with the canonical JSON
 * error body, never a 500 or a hang, and leaves the topic exactly as it was.
 */
class ErrorModelTest {
    static final int MAX_BODY = 4096;

    @TempDir
    static Path dir;
    static ServerFixture srv;

    @BeforeAll
    static void start() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_MAX_BODY_BYTES", Integer.toString(MAX_BODY)));
    }

    @AfterAll
    static void stop() throws Exception {
        srv.close();
    }

    @BeforeEach
    void seed() {
        srv.send("DELETE", "/v0/topics/victim", null);
        assertEquals(201, srv.json("POST", "/v0/topics/victim", "{\"records\":[{\"data\":{\"v\":1},\"tag\":\"t\"}]}").status());
    }

    static Stream<Arguments> badRequests() {
        String json = "application/json";
        return Stream.of(
                // name, method, path, content type, body, status, code
                Arguments.of("malformed JSON", "POST", "/v0/topics/victim", json, "{\"records\":[{\"data\":", 400, "invalid_request"),
                Arguments.of("not an object", "POST", "/v0/topics/victim", json, "[1,2]", 400, "invalid_request"),
                Arguments.of("wrong type: records", "POST", "/v0/topics/victim", json, "{\"records\":\"x\"}", 400, "invalid_request"),
                Arguments.of("wrong type: tag", "POST", "/v0/topics/victim", json, "{\"records\":[{\"data\":1,\"tag\":1}]}", 400, "invalid_request"),
                Arguments.of("missing data", "POST", "/v0/topics/victim", json, "{\"records\":[{\"tag\":\"x\"}]}", 400, "invalid_request"),
                Arguments.of("empty records", "POST", "/v0/topics/victim", json, "{\"records\":[]}", 400, "invalid_request"),
                Arguments.of("empty write body", "POST", "/v0/topics/victim", null, null, 400, "invalid_request"),
                Arguments.of("one bad record of two", "POST", "/v0/topics/victim", json,
                        "{\"records\":[{\"data\":1},{\"data\":2,\"node\":false}]}", 400, "invalid_request"),
                Arguments.of("negative seq", "POST", "/v0/topics/victim/diff", json, "{\"from_seq\":-1}", 400, "invalid_request"),
                Arguments.of("non-integer seq", "POST", "/v0/topics/victim/diff", json, "{\"from_seq\":1.5}", 400, "invalid_request"),
                Arguments.of("string seq", "POST", "/v0/topics/victim/diff", json, "{\"from_seq\":\"1\"}", 400, "invalid_request"),
                Arguments.of("bad config type", "PUT", "/v0/topics/victim", json, "{\"ttl_ms\":\"soon\"}", 400, "invalid_request"),
                Arguments.of("bad enum", "PUT", "/v0/topics/victim", json, "{\"durability\":\"carved-in-stone\"}", 400, "invalid_request"),
                Arguments.of("type change", "PUT", "/v0/topics/victim", json, "{\"type\":\"queue\"}", 409, "topic_exists_incompatible"),
                Arguments.of("invalid name", "POST", "/v0/topics/-victim", json, "{\"records\":[{\"data\":1}]}", 400, "invalid_request"),
                Arguments.of("invalid name chars", "POST", "/v0/topics/vic%20tim", json, "{\"records\":[{\"data\":1}]}", 400, "invalid_request"),
                Arguments.of("name too long", "PUT", "/v0/topics/" + "v".repeat(256), json, "{}", 400, "invalid_request"),
                Arguments.of("invalid name on read", "GET", "/v0/topics/v!ctim", null, null, 400, "invalid_request"),
                Arguments.of("oversized body", "POST", "/v0/topics/victim", json,
                        "{\"records\":[{\"data\":\"" + "x".repeat(MAX_BODY) + "\"}]}", 413, "payload_too_large"),
                Arguments.of("missing content type", "POST", "/v0/topics/victim", null, "{\"records\":[{\"data\":1}]}", 415, "unsupported_media_type"),
                Arguments.of("xml content type", "POST", "/v0/topics/victim", "application/xml", "<records/>", 415, "unsupported_media_type"),
                Arguments.of("xml on put", "PUT", "/v0/topics/victim", "text/xml", "{}", 415, "unsupported_media_type"),
                Arguments.of("wrong method", "PATCH", "/v0/topics/victim", json, "{}", 405, "method_not_allowed"),
                Arguments.of("wrong method on diff", "GET", "/v0/topics/victim/diff", null, null, 405, "method_not_allowed"),
                Arguments.of("wrong method on list", "POST", "/v0/topics", json, "{}", 405, "method_not_allowed"),
                Arguments.of("wrong method on health", "POST", "/v0/health", json, "{}", 405, "method_not_allowed"),
                Arguments.of("unknown route", "GET", "/v0/nothing", null, null, 404, "not_found"),
                Arguments.of("unknown sub-route", "POST", "/v0/topics/victim/diff/more", json, "{}", 404, "not_found"),
                Arguments.of("unknown version", "GET", "/v1/topics", null, null, 404, "not_found"),
                Arguments.of("bad boolean query", "DELETE", "/v0/topics/victim?if_empty=maybe", null, null, 400, "invalid_request"),
                Arguments.of("deep nesting", "POST", "/v0/topics/victim", json,
                        "{\"records\":[{\"data\":" + "[".repeat(1000) + "]".repeat(1000) + "}]}", 400, "invalid_request"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void answersTheDocumentedErrorAndChangesNothing(String what, String method, String path, String contentType,
                                                     String body, int status, String code) {
        Reply r = contentType == null ? srv.send(method, path, body) : srv.send(method, path, body, "Content-Type", contentType);
        assertEquals(status, r.status(), what + ": " + r.body());
        assertTrue(r.raw().headers().firstValue("Content-Type").orElse("").startsWith("application/json"), what);
        Map<String, Object> j = r.json();
        Map<?, ?> error = (Map<?, ?>) j.get("error");
        assertEquals(code, error.get("code"), what);
        assertFalse(((String) error.get("message")).isEmpty(), what);
        assertVictimUnchanged();
    }

    @Test
    void batchTooLargeAndRecordTooLargeOnTheDefaultLimits() throws Exception {
        try (ServerFixture big = new ServerFixture(dir.resolve("big"), Map.of())) {
            big.json("POST", "/v0/topics/victim", "{\"records\":[{\"data\":1}]}");
            StringBuilder many = new StringBuilder("{\"records\":[");
            for (int i = 0; i < 10_001; i++) {
                many.append(i == 0 ? "" : ",").append("{\"data\":").append(i).append('}');
            }
            Reply batch = big.json("POST", "/v0/topics/victim", many.append("]}").toString());
            assertEquals(400, batch.status());
            assertEquals("batch_too_large", batch.errorCode());
            Reply record = big.json("POST", "/v0/topics/victim", "{\"records\":[{\"data\":\"" + "x".repeat(1 << 20) + "\"}]}");
            assertEquals(400, record.status());
            assertEquals("record_too_large", record.errorCode());
            assertEquals(1L, big.send("GET", "/v0/topics/victim", null).json().get("head_seq"));
        }
    }

    @Test
    void curlAndFetchContentTypesAreParsedAsJson() {
        Reply form = srv.send("POST", "/v0/topics/victim/diff", "{\"from_seq\":0}",
                "Content-Type", "application/x-www-form-urlencoded");
        assertEquals(200, form.status());
        Reply text = srv.send("POST", "/v0/topics/victim/diff", "{\"from_seq\":0}", "Content-Type", "text/plain;charset=UTF-8");
        assertEquals(200, text.status());
        Reply charset = srv.send("POST", "/v0/topics/victim/diff", "{\"from_seq\":0}",
                "Content-Type", "application/json; charset=utf-8");
        assertEquals(200, charset.status());
        // the body is not url-decoded: a '+' stays a '+'
        Reply plus = srv.curl("POST", "/v0/topics/victim", "{\"records\":[{\"data\":\"a+b%20c\"}]}");
        assertEquals(200, plus.status());
        Reply read = srv.json("POST", "/v0/topics/victim/diff", "{\"from_seq\":1}");
        assertTrue(read.body().contains("\"data\":\"a+b%20c\""), read.body());
    }

    @Test
    void requestsHelidonRejectsBeforeRoutingGetTheJsonBodyToo() throws Exception {
        for (String target : new String[] {"/v0/topics/%zz", "/v0/topics/" + "a".repeat(20_000)}) {
            String raw = rawHttp("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            String status = raw.lines().findFirst().orElse("");
            assertTrue(status.matches("HTTP/1.1 4\\d\\d .*"), status);
            String body = raw.substring(raw.indexOf("\r\n\r\n") + 4);
            Map<?, ?> error = (Map<?, ?>) TestJson.object(body).get("error");
            assertEquals("invalid_request", error.get("code"), raw);
        }
        assertVictimUnchanged();
    }

    private static String rawHttp(String request) throws Exception {
        java.net.URI uri = java.net.URI.create(srv.base);
        try (java.net.Socket s = new java.net.Socket(uri.getHost(), uri.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void internalErrorsAreNeverReportedForGarbage() {
        for (String garbage : new String[] {"\u0000\u0001", "{\"records\":[{\"data\":\"\\ud800\"}]}", "{\"a\":1,\"a\":2}",
            "{\"records\":[{\"data\":1}]}{}", "\"\\u00", "{\"records\":[{\"data\":tru}]}"}) {
            Reply r = srv.json("POST", "/v0/topics/victim", garbage);
            assertTrue(r.status() < 500, garbage + " -> " + r.status() + " " + r.body());
        }
    }

    private static void assertVictimUnchanged() {
        Reply state = srv.send("GET", "/v0/topics/victim", null);
        assertEquals(200, state.status());
        assertEquals(1L, state.json().get("head_seq"));
        assertEquals(1L, state.json().get("count"));
        assertEquals("log", state.json().get("type"));
        assertEquals("disk", ((Map<?, ?>) state.json().get("config")).get("durability"));
        Reply read = srv.json("POST", "/v0/topics/victim/diff", "{\"from_seq\":0}");
        assertTrue(read.body().contains("\"data\":{\"v\":1}"), read.body());
    }
}
