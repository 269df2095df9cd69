package io.topics.server.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

import io.topics.api.ErrorCode;
import io.topics.api.TopicsException;
import io.topics.server.engine.TestingClock;
import org.junit.jupiter.api.Test;

/** Watch sessions and their composite cursor (spec §11.1, §11.4), without a socket. */
class WatchSessionsTest {
    final TestingClock clock = new TestingClock(1_700_000_000_000L);
    final WatchSessions sessions = new WatchSessions(clock, 3);

    static SortedMap<String, Long> cursors(Object... topicThenSeq) {
        SortedMap<String, Long> m = new TreeMap<>();
        for (int i = 0; i < topicThenSeq.length; i += 2) {
            m.put((String) topicThenSeq[i], ((Number) topicThenSeq[i + 1]).longValue());
        }
        return m;
    }

    @Test
    void theCursorIsBase64urlOfTheSortedCompactMap() {
        assertEquals("eyJvcmRlcnMiOjF9", WatchCursor.encode(cursors("orders", 1)));
        SortedMap<String, Long> many = cursors("zeta", 7, "alpha", 0, "mü\"nz", 123_456_789_012L);
        String id = WatchCursor.encode(many);
        assertFalse(id.contains("=") || id.contains("+") || id.contains("/"), id);
        assertEquals("{\"alpha\":0,\"mü\\\"nz\":123456789012,\"zeta\":7}",
                new String(Base64.getUrlDecoder().decode(id), StandardCharsets.UTF_8));
        assertEquals(many, WatchCursor.decode(id));
    }

    @Test
    void aMalformedIdIsIgnoredNeverAnError() {
        for (String bad : new String[] {null, "", "!!!", "e30", base64("[1,2]"), base64("{\"a\":1"), base64("{\"a\":1}x"),
                base64("{\"a\":1}{}"), "x".repeat(200_000)}) {
            assertEquals(Map.of(), WatchCursor.decode(bad), String.valueOf(bad).substring(0, Math.min(20,
                    String.valueOf(bad).length())));
        }
        assertEquals(cursors("ok", 3), WatchCursor.decode(base64(
                "{\"ok\":3,\"neg\":-1,\"str\":\"4\",\"big\":99999999999999999999999,\"obj\":{\"x\":1},\"f\":1.5}")));
    }

    private static String base64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void widsAreUnguessableAndUnique() {
        WatchSessions many = new WatchSessions(clock, 0);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String wid = many.create(null, WatchOptions.DEFAULTS, cursors("t", 0)).wid();
            assertTrue(wid.matches("wid_[A-Za-z0-9_-]{22}"), wid);
            assertTrue(seen.add(wid));
        }
    }

    @Test
    void aReconnectResumesFromTheServerCursorsAndLastEventIdCanOnlyRewind() {
        WatchSession s = sessions.create("key-1", WatchOptions.DEFAULTS, cursors("a", 10, "b", 20));
        WatchSessions.Stream st = sessions.open(s.wid());
        assertTrue(s.advance(st.generation(), "a", 10, 15));
        assertFalse(s.advance(st.generation(), "b", 19, 25), "not from where the read started: ignored");
        assertFalse(s.advance(st.generation(), "gone", 0, 99), "not watched: ignored");
        assertEquals(cursors("a", 15, "b", 20), s.cursors());
        WatchSessions.Stream newer = sessions.open(s.wid());
        assertFalse(s.advance(st.generation(), "a", 15, 30), "a stream that lost the session moves nothing");
        assertTrue(s.advance(newer.generation(), "a", 15, 16));
        assertTrue(s.advance(newer.generation(), "a", 16, 15), "back too: a recreated topic");
        assertEquals(cursors("a", 12, "b", 20),
                s.resume(WatchCursor.encode(cursors("a", 12, "b", 25, "unknown", 1))), "rewinds a, never advances b");
        assertEquals(cursors("a", 12, "b", 20), s.resume("garbage"));
        assertEquals(cursors("a", 12, "b", 20), s.resume(null));
        assertTrue(s.forget("a"));
        assertFalse(s.forget("b"), "no topic left: the stream ends");
    }

    @Test
    void theNewestStreamTakesOverTheSession() {
        WatchSession s = sessions.create(null, WatchOptions.DEFAULTS, cursors("t", 0));
        WatchSessions.Stream first = sessions.open(s.wid());
        WatchSessions.Stream second = sessions.open(s.wid());
        assertFalse(first.current(), "the older stream must end");
        assertTrue(second.current());
        assertNull(sessions.open("wid_unknown"));
    }

    @Test
    void aSessionIsCollectedOnlyAfterItsTtlWithNoOpenStream() {
        WatchSession idle = sessions.create(null, WatchOptions.DEFAULTS, cursors("t", 0));
        WatchSession streaming = sessions.create(null, WatchOptions.DEFAULTS, cursors("t", 0));
        WatchSessions.Stream open = sessions.open(streaming.wid());
        clock.advance(WatchSessions.SESSION_TTL_MS - 1);
        sessions.create(null, WatchOptions.DEFAULTS, cursors("t", 0)); // collection runs on every create
        assertTrue(sessions.live(idle));
        clock.advance(1);
        assertNull(sessions.open("wid_none")); // and on every stream open
        assertFalse(sessions.live(idle), "idle for its TTL");
        assertTrue(sessions.live(streaming), "an open stream keeps it");
        sessions.closed(open);
        clock.advance(WatchSessions.SESSION_TTL_MS);
        sessions.open("wid_none");
        assertFalse(sessions.live(streaming));
    }

    @Test
    void aSessionThatStreamedAgainIsTimedFromItsLastClose() {
        WatchSession s = sessions.create(null, WatchOptions.DEFAULTS, cursors("t", 0));
        clock.advance(60_000);
        WatchSessions.Stream first = sessions.open(s.wid());
        WatchSessions.Stream second = sessions.open(s.wid());
        clock.advance(60_000);
        sessions.closed(first); // one stream is still open: not idle yet
        clock.advance(60_000);
        sessions.closed(second); // idle from here
        clock.advance(WatchSessions.SESSION_TTL_MS - 1);
        sessions.open("wid_none");
        assertTrue(sessions.live(s), "timed from its last close, not from its creation or first close");
        clock.advance(1);
        sessions.open("wid_none");
        assertFalse(sessions.live(s));
        assertEquals(0, sessions.size());
    }

    @Test
    void theIdleQueueHoldsOneEntryPerSessionHoweverOftenItReconnects() throws Exception {
        WatchSessions many = new WatchSessions(clock, 0);
        WatchSession s = many.create(null, WatchOptions.DEFAULTS, cursors("t", 0));
        for (int i = 0; i < 10_000; i++) {
            many.closed(many.open(s.wid()));
            clock.advance(100); // a reconnect loop, across several TTLs
        }
        var idle = WatchSessions.class.getDeclaredField("idle");
        idle.setAccessible(true);
        assertEquals(1, ((java.util.Collection<?>) idle.get(many)).size());
        assertTrue(many.live(s), "it streamed 100 ms ago");
        clock.advance(WatchSessions.SESSION_TTL_MS);
        many.open("wid_none");
        assertFalse(many.live(s));
        assertEquals(0, ((java.util.Collection<?>) idle.get(many)).size());
    }

    @Test
    void waitsWakeWhenDueOnTakeoverAndAtTheStopWithNoTimerOfTheirOwn() {
        var heartbeat = new java.util.concurrent.CompletableFuture<Void>();
        var later = new java.util.concurrent.CompletableFuture<Void>();
        sessions.wakeAt(heartbeat, clock.millis() + 1_000);
        sessions.wakeAt(later, clock.millis() + 60_000);
        clock.advance(999);
        assertEquals(0, sessions.tick());
        clock.advance(1);
        assertEquals(1, sessions.tick());
        assertTrue(heartbeat.isDone() && !later.isDone());
        sessions.woken(heartbeat);

        WatchSession s = sessions.create(null, WatchOptions.DEFAULTS, cursors("t", 0));
        WatchSessions.Stream first = sessions.open(s.wid());
        var waiting = new java.util.concurrent.CompletableFuture<Void>();
        s.waits(first.generation(), waiting);
        sessions.open(s.wid());
        assertTrue(waiting.isDone(), "a takeover wakes the stream it takes over from");
        var stale = new java.util.concurrent.CompletableFuture<Void>();
        s.waits(first.generation(), stale);
        assertTrue(stale.isDone(), "a stream already taken over does not sleep");

        sessions.stopping();
        assertTrue(later.isDone(), "the stop wakes every wait");
        var afterStop = new java.util.concurrent.CompletableFuture<Void>();
        sessions.wakeAt(afterStop, Long.MAX_VALUE);
        assertTrue(afterStop.isDone() && sessions.stopped());
    }

    @Test
    void theSessionCapAnswers429() {
        for (int i = 0; i < 3; i++) {
            sessions.create(null, WatchOptions.DEFAULTS, cursors("t", 0));
        }
        TopicsException e = assertThrows(TopicsException.class,
                () -> sessions.create(null, WatchOptions.DEFAULTS, cursors("t", 0)));
        assertEquals(ErrorCode.THROTTLED, e.code());
        assertEquals("max_watch_sessions", e.detail().get("limit"));
        clock.advance(WatchSessions.SESSION_TTL_MS);
        sessions.create(null, WatchOptions.DEFAULTS, cursors("t", 0)); // the idle ones were collected
    }
}
