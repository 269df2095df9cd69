package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.topics.server.http.ServerFixture.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Caps, tombstones and record deletes over HTTP (spec §5, §7.2, §8), and across a restart. */
class RetentionHttpTest {
    @TempDir
    Path dir;

    static String records(int from, int to, String tag) {
        StringBuilder b = new StringBuilder("{\"records\":[");
        for (int i = from; i <= to; i++) {
            b.append(i > from ? "," : "").append("{\"data\":").append(i).append(",\"tag\":\"").append(tag).append(i % 2)
                    .append("\"}");
        }
        return b.append("]}").toString();
    }

    static List<Object> seqs(Reply diff) {
        return ((List<?>) diff.json().get("records")).stream().map(r -> ((Map<?, ?>) r).get("$seq")).map(o -> (Object) o)
                .toList();
    }

    @Test
    void aCappedTopicTombstonesAReadBelowItsFloorAndDeletesAreSilentAcrossARestart() throws Exception {
        Reply tomb;
        Reply afterDelete;
        try (ServerFixture srv = new ServerFixture(dir, Map.of())) {
            assertEquals(201, srv.json("PUT", "/v0/topics/c", "{\"cap_records\":5,\"durability\":\"fsync\"}").status());
            assertEquals(200, srv.json("POST", "/v0/topics/c", records(1, 8, "k")).status());
            tomb = srv.json("POST", "/v0/topics/c/diff", "{\"from_seq\":0}");
            assertEquals(200, tomb.status());
            assertEquals(Map.of("gap_from", 1L, "gap_to", 3L, "reason", "cap", "missed_estimate", 3L, "earliest_seq", 4L,
                    "head_seq", 8L), tomb.json().get("tombstone"));
            assertEquals(List.of(4L, 5L, 6L, 7L, 8L), seqs(tomb));
            assertEquals(8L, tomb.json().get("next_from_seq"));

            Reply del = srv.json("POST", "/v0/topics/c/delete", "{\"match\":[\"tag\",\"Eq\",\"k0\"]}");
            assertEquals(200, del.status(), del.body());
            Map<String, Object> d = del.json();
            d.remove("performance");
            assertEquals(Map.of("topic", "c", "deleted", 3L, "earliest_seq", 5L, "head_seq", 8L, "count", 2L, "bytes", 2L), d);
            afterDelete = srv.json("POST", "/v0/topics/c/diff", "{\"from_seq\":3}");
            assertNull(afterDelete.json().get("tombstone"), "a gap made by deletes is silent");
            assertEquals(List.of(5L, 7L), seqs(afterDelete));
            String metrics = srv.send("GET", "/v0/metrics", null).body();
            for (String line : List.of("topics_records_evicted_total 3", "topics_records_deleted_total 3",
                    "topics_records_expired_total 0")) {
                assertTrue(metrics.contains("\n" + line + "\n"), line + " in " + metrics);
            }
            assertEquals(404, srv.json("POST", "/v0/topics/absent/delete", "{\"before_seq\":3}").status());
            assertEquals(400, srv.json("POST", "/v0/topics/bad%20name/delete", "{\"before_seq\":3}").status());
        }
        try (ServerFixture again = new ServerFixture(dir, Map.of())) {
            Reply t = again.json("POST", "/v0/topics/c/diff", "{\"from_seq\":0}");
            assertEquals(tomb.json().get("tombstone"), t.json().get("tombstone"), "the floor survives a restart");
            assertEquals(List.of(5L, 7L), seqs(t));
            assertEquals(seqs(afterDelete), seqs(again.json("POST", "/v0/topics/c/diff", "{\"from_seq\":3}")));
            Map<String, Object> state = again.json("GET", "/v0/topics/c", null).json();
            assertEquals(List.of(8L, 5L, 2L), List.of(state.get("head_seq"), state.get("earliest_seq"), state.get("count")));
        }
    }

    @Test
    void aFullRejectTopicAnswers422AndKeepsItsRecords() throws Exception {
        try (ServerFixture srv = new ServerFixture(dir, Map.of())) {
            srv.json("PUT", "/v0/topics/r", "{\"cap_records\":3,\"discard\":\"reject\"}");
            assertEquals(200, srv.json("POST", "/v0/topics/r", records(1, 2, "k")).status());
            Reply full = srv.json("POST", "/v0/topics/r", records(3, 4, "k"));
            assertEquals(422, full.status());
            assertEquals("topic_full", full.errorCode());
            Map<?, ?> detail = (Map<?, ?>) ((Map<?, ?>) full.json().get("error")).get("detail");
            assertEquals(Map.of("topic", "r", "cap_records", 3L, "cap_bytes", 0L, "head_seq", 2L, "earliest_seq", 1L), detail);
            Reply tooLarge = srv.json("POST", "/v0/topics/r", records(1, 4, "k"));
            assertEquals(400, tooLarge.status());
            assertEquals("record_too_large", tooLarge.errorCode());
            assertEquals(List.of(1L, 2L), seqs(srv.json("POST", "/v0/topics/r/diff", "{}")));
        }
    }
}
