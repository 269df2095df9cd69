package io.topics.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.topics.api.ErrorCode;
import io.topics.api.TopicConfig;
import io.topics.api.TopicsException;
import org.junit.jupiter.api.Test;

class EngineTest {
    static final Set<String> CLASSES = Set.of("ephemeral", "memory", "disk", "fsync");

    final TestingClock clock = new TestingClock(1_700_000_000_000L);
    final Engine engine = new Engine(clock, EngineLimits.DEFAULTS, CLASSES);

    static WriteBatch batch(String... datas) {
        WriteBatch b = new WriteBatch(datas.length, 64);
        for (String d : datas) {
            b.add(d.getBytes(StandardCharsets.UTF_8), null);
        }
        return b;
    }

    String read(String topic, DiffQuery q) throws InterruptedException {
        JsonOut out = new JsonOut();
        engine.diff(topic, q, out);
        return out.toString();
    }

    @Test
    void seqsStartAtOneAndAreContiguousPerBatch() throws Exception {
        AppendResult first = engine.append("t", batch("1", "2", "3"));
        assertEquals(1, first.firstSeq());
        assertEquals(3, first.lastSeq());
        assertTrue(first.created());
        AppendResult second = engine.append("t", batch("{\"a\":[1,2]}"));
        assertEquals(4, second.firstSeq());
        assertEquals(4, second.headSeq());
        assertFalse(second.created());
        JsonOut out = new JsonOut();
        DiffResult r = engine.diff("t", DiffQuery.from(2), out);
        assertEquals("{\"$seq\":3,\"$ts\":1700000000000,\"data\":3},"
                + "{\"$seq\":4,\"$ts\":1700000000000,\"data\":{\"a\":[1,2]}}", out.toString());
        assertEquals(4, r.nextFromSeq());
        assertTrue(r.caughtUp());
        assertEquals(0, r.lag());
        assertNull(r.tombstone());
    }

    @Test
    void tagsNodesAndMetaAreRenderedAndIncludeFlagsWork() throws Exception {
        WriteBatch b = new WriteBatch(1, 64);
        JsonOut arena = b.arena();
        arena.ascii("\"x\"");
        arena.ascii("{\"k\":1}");
        b.add(0, 3, 3, 7, "t\"1", "web-1");
        engine.append("t", b);
        assertEquals("{\"$seq\":1,\"$ts\":1700000000000,\"$node\":\"web-1\",\"$tag\":\"t\\\"1\",\"data\":\"x\",\"meta\":{\"k\":1}}",
                read("t", DiffQuery.from(0)));
        DiffQuery bare = new DiffQuery(0, 10, 1 << 20, 0, false, false, Set.of());
        assertEquals("{\"$seq\":1,\"$ts\":1700000000000,\"$node\":\"web-1\",\"data\":\"x\"}", read("t", bare));
    }

    @Test
    void limitAndByteBudgetStopTheBatchButAlwaysReturnOne() throws Exception {
        String big = "\"" + "x".repeat(1000) + "\"";
        engine.append("t", batch(big, big, big, big));
        JsonOut out = new JsonOut();
        DiffResult r = engine.diff("t", DiffQuery.from(0).withLimit(2), out);
        assertEquals(2, r.records());
        assertEquals(2, r.nextFromSeq());
        assertFalse(r.caughtUp());
        assertEquals(2, r.lag());
        out.reset();
        r = engine.diff("t", new DiffQuery(0, 100, 10, 0, true, true, Set.of()), out);
        assertEquals(1, r.records(), "at least one record even over the byte budget");
        out.reset();
        r = engine.diff("t", new DiffQuery(0, 100, 2500, 0, true, true, Set.of()), out);
        assertEquals(2, r.records());
    }

    @Test
    void nodeFilterSkipsSilentlyAndAdvancesTheCursor() throws Exception {
        WriteBatch b = new WriteBatch(3, 64);
        for (String node : new String[] {"a", "b", "a"}) {
            int off = b.arena().size();
            b.arena().ascii("1");
            b.add(off, 1, 0, 0, null, node);
        }
        engine.append("t", b);
        JsonOut out = new JsonOut();
        DiffResult r = engine.diff("t", new DiffQuery(0, 100, 1 << 20, 0, true, true, Set.of("a")), out);
        assertEquals(1, r.records());
        assertEquals(3, r.nextFromSeq());
        assertEquals(3, r.scanned());
        assertTrue(r.caughtUp());
        engine.putTopic("t", patchDedupeNode(false));
        out.reset();
        r = engine.diff("t", new DiffQuery(0, 100, 1 << 20, 0, true, true, Set.of("a")), out);
        assertEquals(3, r.records(), "dedupe_node:false disables the filter");
    }

    private static ConfigPatch patchDedupeNode(boolean v) {
        return new ConfigPatch(null, null, null, null, null, null, null, null, null, null, null, v, null, null, null,
                null, null);
    }

    @Test
    void readsAcrossManyChunks() throws Exception {
        for (int i = 0; i < 30; i++) {
            WriteBatch b = new WriteBatch(1000, 4000);
            for (int j = 0; j < 1000; j++) {
                b.add(Integer.toString(i * 1000 + j + 1).getBytes(StandardCharsets.US_ASCII), null);
            }
            engine.append("t", b);
        }
        long cursor = 0;
        long expected = 1;
        while (true) {
            JsonOut out = new JsonOut();
            DiffResult r = engine.diff("t", DiffQuery.from(cursor).withLimit(1000), out);
            for (String rec : out.toString().split("},?")) {
                if (rec.isEmpty()) {
                    continue;
                }
                assertTrue(rec.startsWith("{\"$seq\":" + expected + ","), rec);
                assertTrue(rec.endsWith("\"data\":" + expected), rec);
                expected++;
            }
            cursor = r.nextFromSeq();
            if (r.caughtUp()) {
                break;
            }
        }
        assertEquals(30_001, expected);
        TopicInfo info = engine.state("t", false);
        assertEquals(30_000, info.count());
        assertEquals(1, info.earliestSeq());
    }

    @Test
    void idempotencyKeyDedupesInsideTheWindowOnly() {
        AppendResult a = engine.append("t", batch("1", "2").idempotencyKey("k"));
        AppendResult again = engine.append("t", batch("9").idempotencyKey("k"));
        assertTrue(again.deduped());
        assertEquals(0, again.count());
        assertEquals(a.firstSeq(), again.firstSeq());
        assertEquals(a.lastSeq(), again.lastSeq());
        assertEquals(2, engine.state("t", false).headSeq(), "a dedupe appends nothing");
        clock.advance(120_000);
        AppendResult later = engine.append("t", batch("3").idempotencyKey("k"));
        assertFalse(later.deduped(), "the window is 120 s by default");
        assertEquals(3, later.firstSeq());
    }

    @Test
    void concurrentWritesWithOneKeyAppendOnce() throws Exception {
        engine.putTopic("t", ConfigPatch.EMPTY);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<AppendResult>> results = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            results.add(pool.submit(() -> {
                go.await();
                return engine.append("t", batch("1").idempotencyKey("same"));
            }));
        }
        go.countDown();
        int appended = 0;
        for (Future<AppendResult> f : results) {
            AppendResult r = f.get();
            assertEquals(1, r.firstSeq());
            appended += r.deduped() ? 0 : 1;
        }
        pool.shutdown();
        assertEquals(1, appended);
        assertEquals(1, engine.state("t", false).headSeq());
    }

    @Test
    void concurrentWritersGetDisjointContiguousSeqs() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<List<AppendResult>>> all = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            all.add(pool.submit(() -> {
                List<AppendResult> mine = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    mine.add(engine.append("t", batch("1", "2", "3")));
                }
                return mine;
            }));
        }
        boolean[] seen = new boolean[6001];
        for (Future<List<AppendResult>> f : all) {
            for (AppendResult r : f.get()) {
                assertEquals(r.firstSeq() + 2, r.lastSeq());
                for (long s = r.firstSeq(); s <= r.lastSeq(); s++) {
                    assertFalse(seen[(int) s], "seq " + s + " assigned twice");
                    seen[(int) s] = true;
                }
            }
        }
        pool.shutdown();
        assertEquals(6000, engine.state("t", false).headSeq());
    }

    @Test
    void longPollIsWokenByAnAppendNotByItsTimeout() throws Exception {
        engine.append("t", batch("1"));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<String> waiting = pool.submit(() -> read("t", DiffQuery.from(1).withWait(30_000)));
        Thread.sleep(100);
        assertFalse(waiting.isDone(), "a caught-up long-poll waits");
        long t0 = System.nanoTime();
        engine.append("t", batch("2"));
        String got = waiting.get(10, TimeUnit.SECONDS);
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(got.contains("\"$seq\":2"), got);
        assertTrue(tookMs < 5_000, "woken by the append, not the 30 s timeout: " + tookMs + " ms");
        pool.shutdown();
    }

    @Test
    void longPollTimesOutEmptyAndCaughtUp() throws Exception {
        engine.append("t", batch("1"));
        JsonOut out = new JsonOut();
        DiffResult r = engine.diff("t", DiffQuery.from(1).withWait(50), out);
        assertEquals(0, r.records());
        assertTrue(r.caughtUp());
        assertEquals(0, out.size());
    }

    @Test
    void longPollOnADeletedTopicAnswersNotFound() throws Exception {
        engine.append("t", batch("1"));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<String> waiting = pool.submit(() -> read("t", DiffQuery.from(1).withWait(30_000)));
        Thread.sleep(100);
        engine.deleteTopic("t", false);
        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
        assertEquals(ErrorCode.TOPIC_NOT_FOUND, ((TopicsException) e.getCause()).code());
        pool.shutdown();
    }

    @Test
    void cursorFromTheFutureGetsARecreatedTombstone() throws Exception {
        engine.append("t", batch("1", "2", "3"));
        engine.deleteTopic("t", false);
        engine.append("t", batch("a", "b"));
        JsonOut out = new JsonOut();
        DiffResult r = engine.diff("t", DiffQuery.from(3), out);
        assertEquals(new Tombstone(1, 2, "recreated", 2, 1, 2), r.tombstone());
        assertEquals(2, r.records(), "the read resumes from earliest_seq in the same response");
        assertEquals(2, r.nextFromSeq());
    }

    @Test
    void readsAndStateNeverCreate() {
        assertEquals(ErrorCode.TOPIC_NOT_FOUND,
                assertThrows(TopicsException.class, () -> engine.diff("nope", DiffQuery.from(0), new JsonOut())).code());
        assertEquals(ErrorCode.TOPIC_NOT_FOUND, assertThrows(TopicsException.class, () -> engine.state("nope", true)).code());
        assertEquals(0, engine.topicCount());
    }

    @Test
    void createFalseOrAutoCreateFalseRefusesLazyCreate() {
        assertEquals(ErrorCode.TOPIC_NOT_FOUND,
                assertThrows(TopicsException.class, () -> engine.append("t", batch("1").create(false))).code());
        ConfigPatch noAuto = new ConfigPatch(null, null, null, null, null, null, null, null, null, false, null, null,
                null, null, null, null, null);
        assertThrows(TopicsException.class, () -> engine.append("t", batch("1").createConfig(noAuto)));
        assertTrue(engine.append("t", batch("1").createConfig(noAuto).create(true)).created());
    }

    @Test
    void putIsAnUpsertThatResolvesDurability() {
        ConfigPatch durable = new ConfigPatch(null, null, null, null, null, true, null, null, null, null, null, null,
                null, null, null, null, null);
        PutResult created = engine.putTopic("orders", durable);
        assertTrue(created.created());
        assertEquals("fsync", created.config().durability());
        assertTrue(created.config().durable());
        PutResult same = engine.putTopic("orders", durable);
        assertFalse(same.created());
        assertEquals(created.config(), same.config());
        PutResult untouched = engine.putTopic("orders", ConfigPatch.EMPTY);
        assertEquals("fsync", untouched.config().durability(), "omitted fields keep their value");
        ConfigPatch explicit = new ConfigPatch(null, null, null, null, null, true, "memory", null, null, null, null,
                null, null, null, null, null, null);
        PutResult mem = engine.putTopic("orders", explicit);
        assertEquals("memory", mem.config().durability(), "an explicit durability wins over durable");
        assertFalse(mem.config().durable());
    }

    @Test
    void putRejectsTypeChangesUnknownClassesAndBadDeadLetters() {
        engine.putTopic("q", new ConfigPatch(TopicConfig.TopicType.QUEUE, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null));
        ConfigPatch toLog = new ConfigPatch(TopicConfig.TopicType.LOG, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null);
        assertEquals(ErrorCode.TOPIC_EXISTS_INCOMPATIBLE,
                assertThrows(TopicsException.class, () -> engine.putTopic("q", toLog)).code());
        ConfigPatch bogus = new ConfigPatch(null, null, null, null, null, null, "paper", null, null, null, null, null,
                null, null, null, null, null);
        assertEquals(ErrorCode.INVALID_REQUEST, assertThrows(TopicsException.class, () -> engine.putTopic("q", bogus)).code());
        ConfigPatch self = new ConfigPatch(null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, Optional.of("q"), null);
        assertEquals(ErrorCode.INVALID_REQUEST, assertThrows(TopicsException.class, () -> engine.putTopic("q", self)).code());
        ConfigPatch badName = new ConfigPatch(null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, Optional.of("-bad"), null);
        assertThrows(TopicsException.class, () -> engine.putTopic("q", badName));
        assertEquals(TopicConfig.TopicType.QUEUE, engine.state("q", false).config().type());
    }

    @Test
    void clampedFieldsAreClamped() {
        ConfigPatch wild = new ConfigPatch(null, null, null, null, null, null, null, Optional.of(5000), null, null,
                null, null, 1L, 99_999L, null, null, null);
        TopicConfig c = engine.putTopic("t", wild).config();
        assertEquals(1000, c.priority());
        assertEquals(100, c.leaseMs());
        assertEquals(5000, c.claimJitterMs());
    }

    @Test
    void effectivePriorityDecaysWithIdleTime() {
        engine.putTopic("t", ConfigPatch.EMPTY);
        assertEquals(0, engine.state("t", false).effectivePriority(), "never read");
        assertEquals(500, engine.state("t", true).effectivePriority());
        clock.advance(30_000);
        assertEquals(250, engine.state("t", false).effectivePriority());
        clock.advance(270_000);
        assertEquals(0, engine.state("t", false).effectivePriority());
    }

    @Test
    void deleteIfEmptyRefusesANonEmptyTopicAndRecreateRestartsSeqs() {
        engine.append("t", batch("1"));
        assertEquals(ErrorCode.TOPIC_NOT_EMPTY, assertThrows(TopicsException.class, () -> engine.deleteTopic("t", true)).code());
        assertEquals(1, engine.state("t", false).headSeq(), "a refused delete changes nothing");
        assertTrue(engine.deleteTopic("t", false));
        assertFalse(engine.deleteTopic("t", false));
        assertEquals(1, engine.append("t", batch("1")).firstSeq());
    }

    @Test
    void listPagesInNameOrderWithPrefix() {
        for (String n : new String[] {"b", "a:1", "a:2", "a:3", "c"}) {
            engine.putTopic(n, ConfigPatch.EMPTY);
        }
        ListPage p1 = engine.list("a:", null, 2, false);
        assertEquals(List.of("a:1", "a:2"), p1.topics().stream().map(TopicInfo::topic).toList());
        assertEquals("a:2", p1.lastName());
        ListPage p2 = engine.list("a:", p1.lastName(), 2, false);
        assertEquals(List.of("a:3"), p2.topics().stream().map(TopicInfo::topic).toList());
        assertNull(p2.lastName());
        assertEquals(5, engine.list(null, null, 10, false).topics().size());
    }

    @Test
    void maxTopicsThrottlesCreationButNotUpdates() {
        Engine small = new Engine(clock, new EngineLimits(1, 0), CLASSES);
        small.putTopic("a", ConfigPatch.EMPTY);
        TopicsException e = assertThrows(TopicsException.class, () -> small.append("b", batch("1")));
        assertEquals(ErrorCode.THROTTLED, e.code());
        assertEquals("max_topics", e.detail().get("limit"));
        assertFalse(small.putTopic("a", patchDedupeNode(false)).created());
    }

    @Test
    void maxTotalBytesThrottlesWrites() {
        Engine small = new Engine(clock, new EngineLimits(0, 10), CLASSES);
        small.append("a", batch("12345"));
        TopicsException e = assertThrows(TopicsException.class, () -> small.append("a", batch("123456")));
        assertEquals("max_total_bytes", e.detail().get("limit"));
        assertEquals(1, small.state("a", false).headSeq());
    }

    @Test
    void maxMemoryBytesThrottlesWritesWithARetryHint() {
        Engine small = new Engine(clock, new EngineLimits(0, 0, 10), CLASSES);
        small.append("a", batch("12345"));
        TopicsException e = assertThrows(TopicsException.class, () -> small.append("a", batch("123456")));
        assertEquals(ErrorCode.THROTTLED, e.code());
        assertEquals("memory", e.detail().get("limit"));
        assertTrue(((Number) e.detail().get("retry_after_ms")).longValue() > 0);
        assertEquals(1, small.state("a", false).headSeq());
        assertEquals(5, small.memoryBytes());
        small.deleteTopic("a", false);
        assertEquals(0, small.memoryBytes(), "a deleted topic gives its memory back");
    }

    @Test
    void aFullJournalQueueAnswers429AndAppendsNothing() {
        java.util.concurrent.atomic.AtomicBoolean room = new java.util.concurrent.atomic.AtomicBoolean(true);
        Journal full = new Journal.Immediate() {
            @Override
            public boolean hasRoom(long topicId, long payloadBytes, io.topics.api.spi.durability.AckPoint ack) {
                return room.get();
            }
        };
        Engine e = new Engine(clock, EngineLimits.DEFAULTS, DurableEngineTest.CLASSES, full);
        e.append("t", batch("1"));
        room.set(false);
        TopicsException busy = assertThrows(TopicsException.class, () -> e.append("t", batch("2")));
        assertEquals(ErrorCode.THROTTLED, busy.code());
        assertEquals("wal_queue", busy.detail().get("limit"));
        assertTrue(((Number) busy.detail().get("retry_after_ms")).longValue() > 0);
        assertEquals(1, e.state("t", false).headSeq(), "nothing of the refused write is visible");
        assertEquals(1, e.throttledWrites());
        // a client that disabled backpressure waits for room instead
        java.util.concurrent.CompletableFuture<AppendResult> patient = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> e.append("t", batch("2").disableBackpressure(true)));
        try {
            Thread.sleep(50);
        } catch (InterruptedException ex) {
            throw new AssertionError(ex);
        }
        assertFalse(patient.isDone(), "it waits while the queue is full");
        room.set(true);
        assertEquals(2, patient.join().firstSeq(), "the refused write used no seq");
    }

    @Test
    void invalidNamesAreRejected() {
        for (String bad : new String[] {"", "-x", "a b", "x".repeat(256), "a/b", "é"}) {
            assertEquals(ErrorCode.INVALID_REQUEST,
                    assertThrows(TopicsException.class, () -> engine.append(bad, batch("1"))).code(), bad);
        }
        assertEquals(0, engine.topicCount());
    }
}
