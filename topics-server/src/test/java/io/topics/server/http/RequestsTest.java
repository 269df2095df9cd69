package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

import io.topics.api.ErrorCode;
import io.topics.api.TopicsException;
import io.topics.server.engine.ConfigPatch;
import io.topics.server.engine.DeleteSelector;
import io.topics.server.engine.DiffQuery;
import io.topics.server.engine.DiffResult;
import io.topics.server.engine.Engine;
import io.topics.server.engine.EngineLimits;
import io.topics.server.engine.JsonOut;
import io.topics.server.engine.TestingClock;
import io.topics.server.engine.WriteBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RequestsTest {
    final Requests requests = new Requests(ProtocolLimits.DEFAULTS);

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Writes the body through a real engine and returns the data of record 1 as read back. */
    String roundTrip(String body) throws Exception {
        byte[] bytes = b(body);
        WriteBatch batch = requests.write(bytes, bytes.length, null);
        Engine engine = new Engine(new TestingClock(5), EngineLimits.DEFAULTS, Set.of("disk", "fsync"));
        engine.append("t", batch);
        JsonOut out = new JsonOut();
        DiffResult r = engine.diff("t", DiffQuery.from(0), out);
        assertEquals(batch.size(), r.records());
        return out.toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-12.5e3", "3499", "true", "false", "null", "\"plain\"", "\"esc \\\" \\\\ \\u00e9 \\n\"",
        "\"é ü 中\"", "[]", "{}", "[1,[2,[3]],{\"a\":{}}]", "{\"sku\":\"AEROPRESS-GO\",\"qty\":1,\"total\":3499}",
        "123456789012345678901234567890", "1.00000000000000000000001"})
    void dataIsKeptAsTheExactBytesReceived(String data) throws Exception {
        assertEquals("{\"$seq\":1,\"$ts\":5,\"data\":" + data + "}", roundTrip("{\"records\":[{\"data\":" + data + "}]}"));
        // a number or literal at the very end of the record object, and keys after it
        assertEquals("{\"$seq\":1,\"$ts\":5,\"$tag\":\"x\",\"data\":" + data + "}",
                roundTrip("{\"records\":[{\"data\":" + data + ",\"tag\":\"x\"}]}"));
    }

    @Test
    void whitespaceOutsideStringsIsCompactedInsideStringsKept() throws Exception {
        assertEquals("{\"$seq\":1,\"$ts\":5,\"data\":{\"sku\":\"A B\",\"q\":[1,2]}}",
                roundTrip("{ \"records\" : [ { \"data\" : { \"sku\" : \"A B\",\n \"q\" : [ 1 , 2 ] } } ] }"));
    }

    @Test
    void metaTagNodeAndBatchNode() throws Exception {
        assertEquals("{\"$seq\":1,\"$ts\":5,\"$node\":\"n1\",\"$tag\":\"t\",\"data\":1,\"meta\":{\"trace\":\"abc\"}},"
                        + "{\"$seq\":2,\"$ts\":5,\"$node\":\"own\",\"data\":2}",
                roundTrip("{\"records\":[{\"meta\":{\"trace\":\"abc\"},\"data\":1,\"tag\":\"t\"},{\"data\":2,\"node\":\"own\"}],"
                        + "\"node\":\"n1\"}"));
    }

    @Test
    void idempotencyKeyBodyWinsOverHeader() {
        byte[] withKey = b("{\"records\":[{\"data\":1}],\"idempotency_key\":\"body\"}");
        assertEquals("body", requests.write(withKey, withKey.length, "header").idempotencyKey());
        byte[] without = b("{\"records\":[{\"data\":1}]}");
        assertEquals("header", requests.write(without, without.length, "header").idempotencyKey());
        assertNull(requests.write(without, without.length, null).idempotencyKey());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "{", "[]", "\"x\"", "{\"records\":[{\"data\":1}]} trailing", "{\"records\":{}}", "{\"records\":[]}",
        "{}", "{\"records\":[1]}", "{\"records\":[{\"tag\":\"x\"}]}", "{\"records\":[{\"data\":1,\"tag\":5}]}",
        "{\"records\":[{\"data\":1,\"node\":[]}]}", "{\"records\":[{\"data\":1}],\"create\":\"yes\"}",
        "{\"records\":[{\"data\":1}],\"idempotency_key\":7}", "{\"records\":[{\"data\":01}]}",
        "{\"records\":[{\"data\":NaN}]}", "{\"records\":[{\"data\":'x'}]}", "{\"records\":[{\"data\":1}],\"config\":[]}",
        "{\"records\":[{\"data\":1}],\"config\":{\"ttl_ms\":-1}}", "{\"records\":[{\"data\":1}],\"config\":{\"durable\":1}}"})
    void badWriteBodiesAre400InvalidRequest(String body) {
        byte[] bytes = b(body);
        TopicsException e = assertThrows(TopicsException.class, () -> requests.write(bytes, bytes.length, null));
        assertEquals(ErrorCode.INVALID_REQUEST, e.code(), e.getMessage());
    }

    @Test
    void invalidUtf8InsideDataIsRejected() {
        byte[] body = b("{\"records\":[{\"data\":[\"ab\"]}]}");
        body[body.length - 6] = (byte) 0xC3; // a lead byte with no continuation
        assertThrows(TopicsException.class, () -> requests.write(body, body.length, null));
    }

    @Test
    void limitsOnBatchRecordTagNodeMetaAndKey() {
        StringBuilder many = new StringBuilder("{\"records\":[");
        for (int i = 0; i < 10_001; i++) {
            many.append(i == 0 ? "" : ",").append("{\"data\":1}");
        }
        byte[] tooMany = b(many.append("]}").toString());
        assertEquals(ErrorCode.BATCH_TOO_LARGE,
                assertThrows(TopicsException.class, () -> requests.write(tooMany, tooMany.length, null)).code());

        byte[] big = b("{\"records\":[{\"data\":\"" + "x".repeat(1 << 20) + "\"}]}");
        assertEquals(ErrorCode.RECORD_TOO_LARGE,
                assertThrows(TopicsException.class, () -> requests.write(big, big.length, null)).code());

        for (String body : new String[] {
            "{\"records\":[{\"data\":1,\"tag\":\"" + "t".repeat(257) + "\"}]}",
            "{\"records\":[{\"data\":1,\"tag\":\"" + "é".repeat(129) + "\"}]}",
            "{\"records\":[{\"data\":1,\"node\":\"" + "n".repeat(129) + "\"}]}",
            "{\"records\":[{\"data\":1,\"meta\":{\"k\":\"" + "m".repeat(16 << 10) + "\"}}]}",
            "{\"records\":[{\"data\":1}],\"idempotency_key\":\"" + "k".repeat(257) + "\"}"}) {
            byte[] bytes = b(body);
            assertEquals(ErrorCode.INVALID_REQUEST,
                    assertThrows(TopicsException.class, () -> requests.write(bytes, bytes.length, null)).code());
        }
        StringBuilder keys = new StringBuilder("{\"records\":[{\"data\":1,\"meta\":{");
        for (int i = 0; i < 65; i++) {
            keys.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":1");
        }
        byte[] manyKeys = b(keys.append("}}]}").toString());
        assertThrows(TopicsException.class, () -> requests.write(manyKeys, manyKeys.length, null));
        byte[] exactly = b("{\"records\":[{\"data\":1,\"tag\":\"" + "t".repeat(256) + "\"}]}");
        assertEquals(1, requests.write(exactly, exactly.length, null).size(), "256 bytes is allowed");
    }

    /**
     * Spec §15: each protocol limit is read from its setting. Every body is checked at the limit
     * (accepted) and one past it (refused with the documented code).
     */
    @Test
    void everyProtocolLimitFollowsItsSetting() {
        Requests small = new Requests(io.topics.server.wiring.ServerConfig.from(java.util.Map.of(
                "TOPICS_MAX_BATCH_RECORDS", "2", "TOPICS_MAX_RECORD_BYTES", "12", "TOPICS_MAX_META_BYTES", "11",
                "TOPICS_MAX_TAG_BYTES", "3", "TOPICS_MAX_NODE_BYTES", "2", "TOPICS_MAX_LIMIT", "5",
                "TOPICS_MAX_WATCH_TOPICS", "2")).protocolLimits());
        String[][] writes = {
            // at the limit, one past it, the code past it
            {"[{\"data\":1},{\"data\":2}]", "[{\"data\":1},{\"data\":2},{\"data\":3}]", "batch_too_large"},
            {"[{\"data\":\"1234567890\"}]", "[{\"data\":\"12345678901\"}]", "record_too_large"},
            {"[{\"data\":1,\"meta\":{\"k\":\"123\"}}]", "[{\"data\":1,\"meta\":{\"k\":\"1234\"}}]", "invalid_request"},
            {"[{\"data\":1,\"tag\":\"abc\"}]", "[{\"data\":1,\"tag\":\"abcd\"}]", "invalid_request"},
            {"[{\"data\":1,\"node\":\"ab\"}]", "[{\"data\":1,\"node\":\"abc\"}]", "invalid_request"}};
        for (String[] w : writes) {
            byte[] ok = b("{\"records\":" + w[0] + "}");
            byte[] over = b("{\"records\":" + w[1] + "}");
            small.write(ok, ok.length, null);
            assertEquals(w[2], assertThrows(TopicsException.class, () -> small.write(over, over.length, null))
                    .code().code(), w[1]);
        }
        byte[] limit = b("{\"limit\":50}");
        assertEquals(5, small.diff(limit, limit.length).limit(), "a diff limit is clamped to TOPICS_MAX_LIMIT");
        byte[] two = b("{\"topics\":{\"a\":{},\"b\":{}}}");
        byte[] three = b("{\"topics\":{\"a\":{},\"b\":{},\"c\":{}}}");
        assertEquals(2, small.watch(two, two.length).topics().size());
        TopicsException e = assertThrows(TopicsException.class, () -> small.watch(three, three.length));
        assertEquals(ErrorCode.INVALID_REQUEST, e.code());
        assertTrue(e.getMessage().contains("1 to 2 topics"), e.getMessage());
        byte[] defaults = b("{\"topics\":{" + watchTopics(257) + "}}");
        assertThrows(TopicsException.class, () -> requests.watch(defaults, defaults.length), "256 by default");
        byte[] most = b("{\"topics\":{" + watchTopics(256) + "}}");
        assertEquals(256, requests.watch(most, most.length).topics().size());
    }

    private static String watchTopics(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":{}");
        }
        return b.toString();
    }

    @Test
    void diffDefaultsAndClamps() {
        DiffQuery empty = requests.diff(new byte[0], 0);
        assertEquals(DiffQuery.from(0), empty);
        byte[] body = b("{\"from_seq\":7,\"limit\":5000,\"wait_ms\":99999,\"max_batch_bytes\":999999999,"
                + "\"include_tags\":false,\"include_meta\":false,\"node\":[\"a\",\"b\"],\"unknown\":{\"x\":1}}");
        DiffQuery q = requests.diff(body, body.length);
        assertEquals(7, q.fromSeq());
        assertEquals(1000, q.limit());
        assertEquals(30_000, q.waitMs());
        assertEquals(8 << 20, q.maxBatchBytes());
        assertFalse(q.includeTags());
        assertFalse(q.includeMeta());
        assertEquals(Set.of("a", "b"), q.nodes());
        byte[] zero = b("{\"limit\":0,\"node\":\"a\"}");
        assertEquals(256, requests.diff(zero, zero.length).limit());
        assertEquals(Set.of("a"), requests.diff(zero, zero.length).nodes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"from_seq\":-1}", "{\"from_seq\":1.5}", "{\"from_seq\":\"1\"}", "{\"from_seq\":null}",
        "{\"from_seq\":18446744073709551616}", "{\"limit\":-3}", "{\"include_tags\":\"no\"}", "{\"node\":5}",
        "{\"node\":[1]}", "{\"wait_ms\":true}", "[0]", "{\"from_seq\":0"})
    void badDiffBodiesAre400(String body) {
        byte[] bytes = b(body);
        assertEquals(ErrorCode.INVALID_REQUEST,
                assertThrows(TopicsException.class, () -> requests.diff(bytes, bytes.length)).code());
    }

    @Test
    void configParsesEveryField() {
        byte[] body = b("{\"type\":\"queue\",\"ttl_ms\":1,\"cap_records\":2,\"cap_bytes\":3,\"discard\":\"reject\","
                + "\"durable\":true,\"durability\":\"memory\",\"priority\":-5,\"auto_priority\":false,\"auto_create\":false,"
                + "\"idempotency_window_ms\":4,\"dedupe_node\":false,\"lease_ms\":500,\"claim_jitter_ms\":6,"
                + "\"max_deliveries\":7,\"dead_letter\":null,\"leases_durable\":true,\"future_field\":[1]}");
        ConfigPatch p = requests.config(body, body.length);
        assertEquals(io.topics.api.TopicConfig.TopicType.QUEUE, p.type());
        assertEquals(1L, p.ttlMs());
        assertEquals(io.topics.api.TopicConfig.Discard.REJECT, p.discard());
        assertEquals("memory", p.durability());
        assertTrue(p.durable());
        assertEquals(Optional.of(-5), p.priority());
        assertEquals(Optional.empty(), p.deadLetter());
        assertEquals(7L, p.maxDeliveries());
        assertTrue(p.leasesDurable());
        assertEquals(ConfigPatch.EMPTY, requests.config(new byte[0], 0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"type\":\"stream\"}", "{\"discard\":\"new\"}", "{\"ttl_ms\":\"5\"}", "{\"durable\":\"true\"}",
        "{\"priority\":1.5}", "{\"dead_letter\":5}", "[]", "nope"})
    void badConfigsAre400(String body) {
        byte[] bytes = b(body);
        assertEquals(ErrorCode.INVALID_REQUEST,
                assertThrows(TopicsException.class, () -> requests.config(bytes, bytes.length)).code());
    }

    DeleteSelector delete(String body) {
        byte[] bytes = b(body);
        return requests.delete(bytes, bytes.length);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // body | before_seq | tag ("-" = none, '' = empty) | prefix
        "{\"before_seq\":5}                                  | 5 | -        | false",
        "{\"match\":[\"tag\",\"Eq\",\"order-7731\"]}            | 0 | order-7731 | false",
        "{\"match\":[\"tag\",\"Glob\",\"user-1042:*\"]}         | 0 | user-1042: | true",
        "{\"match\":[\"tag\",\"Eq\",\"x*\"]}                    | 0 | x*       | false",
        "{\"match\":[\"tag\",\"Glob\",\"a*b**\"]}               | 0 | a*b*     | true",
        "{\"match\":[\"tag\",\"Glob\",\"*\"]}                   | 0 | ''       | true",
        "{\"match\":[\"tag\",\"Eq\",\"\"]}                      | 0 | ''       | false",
        "{\"match\":\"order-7731\"}                           | 0 | order-7731 | false",
        "{\"match\":\"user-1042:*\"}                          | 0 | user-1042: | true",
        "{\"match\":\"*\"}                                    | 0 | ''       | true",
        "{\"match\":\"a*b\"}                                  | 0 | a*b      | false",
        "{\"match\":[\"tag\",\"Eq\",\"msg-5\"],\"before_seq\":9}    | 9 | msg-5    | false",
        "{\"before_seq\":3,\"future\":{\"x\":[1]},\"match\":\"m\"} | 3 | m        | false",
        "{\"before_seq\":0}                                  | 1 | -        | false",
        "{\"before_seq\":0,\"match\":\"m\"}                     | 1 | m        | false",
        "{\"before_seq\":9223372036854775807}                | 9223372036854775807 | - | false"})
    void deleteSelectors(String body, long before, String tag, boolean prefix) {
        assertEquals(new DeleteSelector(before, tag.equals("-") ? null : tag, prefix), delete(body));
    }

    @Test
    void deleteMatchValuesUpToTheTagLimit() {
        String max = "é".repeat(128); // 256 UTF-8 bytes
        assertEquals(new DeleteSelector(0, max, false), delete("{\"match\":\"" + max + "\"}"));
        assertEquals(new DeleteSelector(0, max, true), delete("{\"match\":[\"tag\",\"Glob\",\"" + max + "*\"]}"));
        for (String over : new String[] {"{\"match\":\"" + max + "x\"}", "{\"match\":\"" + max + "x*\"}",
            "{\"match\":[\"tag\",\"Eq\",\"" + "t".repeat(257) + "\"]}",
            "{\"match\":[\"tag\",\"Glob\",\"" + "t".repeat(257) + "*\"]}"}) {
            assertEquals(ErrorCode.INVALID_REQUEST, assertThrows(TopicsException.class, () -> delete(over)).code());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // no selector, not an object, malformed
        "", "{}", "{\"future\":1}", "[]", "\"x\"", "{\"before_seq\":1", "{\"before_seq\":1} trailing",
        // before_seq: u64 only
        "{\"before_seq\":-1}", "{\"before_seq\":1.5}", "{\"before_seq\":\"5\"}", "{\"before_seq\":null}",
        "{\"before_seq\":true}", "{\"before_seq\":18446744073709551616}",
        // match: shape
        "{\"match\":null}", "{\"match\":5}", "{\"match\":{\"tag\":\"x\"}}", "{\"match\":[]}",
        "{\"match\":[\"tag\"]}", "{\"match\":[\"tag\",\"Eq\"]}", "{\"match\":[\"tag\",\"Eq\",\"x\",\"y\"]}",
        "{\"match\":[\"tag\",\"Eq\",5]}", "{\"match\":[\"tag\",\"Eq\",null]}", "{\"match\":[\"tag\",\"Eq\",[\"x\"]]}",
        "{\"match\":[1,\"Eq\",\"x\"]}", "{\"match\":[\"tag\",true,\"x\"]}",
        // match: first element, op, glob
        "{\"match\":[\"node\",\"Eq\",\"x\"]}", "{\"match\":[\"Tag\",\"Eq\",\"x\"]}", "{\"match\":[\"tag\",\"eq\",\"x\"]}",
        "{\"match\":[\"tag\",\"EQ\",\"x\"]}", "{\"match\":[\"tag\",\"glob\",\"x*\"]}", "{\"match\":[\"tag\",\"Prefix\",\"x\"]}",
        "{\"match\":[\"tag\",\"Glob\",\"x\"]}", "{\"match\":[\"tag\",\"Glob\",\"x*y\"]}", "{\"match\":[\"tag\",\"Glob\",\"\"]}",
        // a bad match is 400 even next to a good before_seq
        "{\"before_seq\":5,\"match\":[\"tag\",\"Glob\",\"x\"]}"})
    void badDeleteBodiesAre400(String body) {
        TopicsException e = assertThrows(TopicsException.class, () -> delete(body));
        assertEquals(ErrorCode.INVALID_REQUEST, e.code(), e.getMessage());
    }
}
