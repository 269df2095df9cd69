package io.topics.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.topics.api.ErrorCode;
import io.topics.api.TopicConfig.Discard;
import io.topics.api.TopicsException;
import org.junit.jupiter.api.Test;

/** Caps, TTL, tombstones and deletes (spec §2, §7, §8), with exact seqs at every boundary. */
class RetentionTest {
    final TestingClock clock = new TestingClock(1_700_000_000_000L);
    final Engine engine = new Engine(clock, EngineLimits.DEFAULTS, EngineTest.CLASSES);

    static ConfigPatch caps(Long ttlMs, Long capRecords, Long capBytes, Discard discard) {
        return new ConfigPatch(null, ttlMs, capRecords, capBytes, discard, null, null, null, null, null, null, null,
                null, null, null, null, null);
    }

    static ConfigPatch capRecords(long n) {
        return caps(null, n, null, null);
    }

    /** Appends one record per datum, each its own batch. */
    void write(String topic, String... datas) {
        for (String d : datas) {
            engine.append(topic, EngineTest.batch(d));
        }
    }

    void writeTagged(String topic, String... tags) {
        for (String t : tags) {
            engine.append(topic, DurableEngineTest.tagged("0", t, null, null));
        }
    }

    /** One diff from {@code from}: its result and the seqs it returned. */
    record Read(DiffResult result, List<Long> seqs) {
        Tombstone tombstone() {
            return result.tombstone();
        }
    }

    private static final Pattern SEQ = Pattern.compile("\"\\$seq\":(\\d+)");

    Read read(String topic, long from) throws InterruptedException {
        JsonOut out = new JsonOut();
        DiffResult r = engine.diff(topic, DiffQuery.from(from).withLimit(1000), out);
        List<Long> seqs = new ArrayList<>();
        Matcher m = SEQ.matcher(out.toString());
        while (m.find()) {
            seqs.add(Long.parseLong(m.group(1)));
        }
        return new Read(r, seqs);
    }

    static List<Long> range(long from, long to) {
        List<Long> l = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            l.add(s);
        }
        return l;
    }

    void assertState(String topic, long head, long earliest, long count, long bytes) {
        TopicInfo i = engine.state(topic, false);
        assertEquals(head, i.headSeq(), "head");
        assertEquals(earliest, i.earliestSeq(), "earliest");
        assertEquals(count, i.count(), "count");
        assertEquals(bytes, i.bytes(), "bytes");
    }

    @Test
    void capRecordsEvictsTheOldestAndAReadBelowGetsTheExactGapThenTheRest() throws Exception {
        engine.putTopic("t", capRecords(5));
        write("t", "1", "2", "3", "4", "5", "6", "7", "8");
        assertState("t", 8, 4, 5, 5);
        Read r = read("t", 0);
        assertEquals(new Tombstone(1, 3, "cap", 3, 4, 8), r.tombstone());
        assertEquals(range(4, 8), r.seqs());
        assertEquals(8, r.result().nextFromSeq());
        assertTrue(r.result().caughtUp());
    }

    @Test
    void aCursorAtTheFloorIsSilentOneBelowGetsOneSeqAndOneAboveTheHeadIsRecreated() throws Exception {
        engine.putTopic("t", capRecords(5));
        write("t", "1", "2", "3", "4", "5", "6", "7", "8");
        Read atFloor = read("t", 3);
        assertNull(atFloor.tombstone());
        assertEquals(range(4, 8), atFloor.seqs());
        Read below = read("t", 2);
        assertEquals(new Tombstone(3, 3, "cap", 1, 4, 8), below.tombstone());
        assertEquals(range(4, 8), below.seqs());
        Read inside = read("t", 5);
        assertNull(inside.tombstone());
        assertEquals(range(6, 8), inside.seqs());
        Read future = read("t", 9);
        assertEquals(new Tombstone(1, 8, "recreated", 8, 4, 8), future.tombstone());
        assertEquals(range(4, 8), future.seqs());
    }

    @Test
    void capBytesWithMixedSizesEvictsJustEnough() throws Exception {
        engine.putTopic("t", caps(null, null, 10L, null));
        write("t", "1", "22", "333", "4444");
        assertState("t", 4, 1, 4, 10);
        write("t", "55555");
        assertState("t", 5, 4, 2, 9);
        assertEquals(new Tombstone(1, 3, "cap", 3, 4, 5), read("t", 0).tombstone());
    }

    @Test
    void aBatchLargerThanTheCapKeepsItsNewestRecords() throws Exception {
        engine.putTopic("t", capRecords(3));
        write("t", "0");
        engine.append("t", EngineTest.batch("1", "2", "3", "4", "5"));
        assertState("t", 6, 4, 3, 3);
        Read r = read("t", 0);
        assertEquals(new Tombstone(1, 3, "cap", 3, 4, 6), r.tombstone());
        assertEquals(range(4, 6), r.seqs());
    }

    @Test
    void discardRejectRefusesAWholeBatchThatWouldOverflow() throws Exception {
        engine.putTopic("t", caps(null, 3L, null, Discard.REJECT));
        write("t", "1", "2");
        TopicsException full = assertThrows(TopicsException.class,
                () -> engine.append("t", EngineTest.batch("3", "4")));
        assertEquals(ErrorCode.TOPIC_FULL, full.code());
        assertEquals(2L, full.detail().get("head_seq"));
        assertEquals(1L, full.detail().get("earliest_seq"));
        TopicsException tooLarge = assertThrows(TopicsException.class,
                () -> engine.append("t", EngineTest.batch("a", "b", "c", "d")));
        assertEquals(ErrorCode.RECORD_TOO_LARGE, tooLarge.code());
        assertState("t", 2, 1, 2, 2);
        write("t", "3");
        assertState("t", 3, 1, 3, 3);
        // a delete makes room again
        engine.deleteRecords("t", new DeleteSelector(2, null, false));
        write("t", "4");
        assertState("t", 4, 2, 3, 3);
    }

    @Test
    void ttlExpiresRecordsStrictlyOlderThanItAndTombstonesThem() throws Exception {
        engine.putTopic("t", caps(1000L, null, null, null));
        write("t", "1", "2");
        clock.advance(600);
        write("t", "3");
        clock.advance(400); // records 1 and 2 are exactly 1000 ms old: not yet expired
        assertState("t", 3, 1, 3, 3);
        clock.advance(1);
        assertState("t", 3, 3, 1, 1);
        Read r = read("t", 0);
        assertEquals(new Tombstone(1, 2, "ttl", 2, 3, 3), r.tombstone());
        assertEquals(List.of(3L), r.seqs());
        clock.advance(600);
        Read empty = read("t", 0);
        assertEquals(new Tombstone(1, 3, "ttl", 3, 4, 3), empty.tombstone());
        assertEquals(List.of(), empty.seqs());
        assertEquals(3, empty.result().nextFromSeq());
        assertState("t", 3, 4, 0, 0);
    }

    @Test
    void capThenTtlReportsMixedForAGapOverBoth() throws Exception {
        engine.putTopic("t", caps(1000L, 3L, null, null));
        write("t", "1", "2", "3", "4", "5");
        clock.advance(1001);
        write("t", "6");
        assertEquals(new Tombstone(1, 5, "mixed", 5, 6, 6), read("t", 0).tombstone());
        assertEquals(new Tombstone(4, 5, "ttl", 2, 6, 6), read("t", 3).tombstone()); // 3 made room for 6
    }

    @Test
    void tighteningACapEvictsAtOnce() throws Exception {
        write("t", "1", "2", "3", "4");
        engine.putTopic("t", capRecords(1));
        assertState("t", 4, 4, 1, 1);
        assertEquals(new Tombstone(1, 3, "cap", 3, 4, 4), read("t", 0).tombstone());
    }

    @Test
    void deleteBeforeSeqIsSilentAndMovesEarliestButNotTheFloor() throws Exception {
        write("t", "1", "2", "3", "4", "5");
        DeleteResult d = engine.deleteRecords("t", new DeleteSelector(3, null, false));
        assertEquals(new DeleteResult("t", 2, 3, 5, 3, 3), d);
        Read r = read("t", 0);
        assertNull(r.tombstone());
        assertEquals(range(3, 5), r.seqs());
        // point in time: a bound above the head touches nothing written later
        assertEquals(3, engine.deleteRecords("t", new DeleteSelector(100, null, false)).deleted());
        write("t", "6");
        assertEquals(List.of(6L), read("t", 0).seqs());
        assertState("t", 6, 6, 1, 1);
        assertEquals(0, engine.deleteRecords("t", new DeleteSelector(6, null, false)).deleted());
    }

    @Test
    void deletingEverythingLeavesAnEmptyTopicAReaderCrossesInOneCall() throws Exception {
        write("t", "1", "2", "3");
        engine.deleteRecords("t", new DeleteSelector(4, null, false));
        assertState("t", 3, 4, 0, 0);
        Read r = read("t", 0);
        assertNull(r.tombstone());
        assertEquals(List.of(), r.seqs());
        assertEquals(3, r.result().nextFromSeq());
        assertTrue(r.result().caughtUp());
    }

    @Test
    void deleteByTagEqualOrPrefixRemovesOnlyThoseAndNeverLaterWrites() throws Exception {
        writeTagged("t", "user-1:a", "order-7", "user-1:b", "user-10:a", "order-7");
        write("t", "0"); // untagged: never matched, not even by the empty prefix
        assertEquals(2, engine.deleteRecords("t", new DeleteSelector(0, "order-7", false)).deleted());
        assertEquals(List.of(1L, 3L, 4L, 6L), read("t", 0).seqs());
        assertEquals(2, engine.deleteRecords("t", new DeleteSelector(0, "user-1:", true)).deleted());
        assertEquals(List.of(4L, 6L), read("t", 0).seqs());
        writeTagged("t", "order-7");
        assertEquals(List.of(4L, 6L, 7L), read("t", 0).seqs());
        assertEquals(2, engine.deleteRecords("t", new DeleteSelector(0, "", true)).deleted());
        assertEquals(List.of(6L), read("t", 0).seqs());
        assertState("t", 7, 6, 1, 1);
    }

    @Test
    void tagAndBeforeSeqAreAnded() throws Exception {
        writeTagged("t", "msg-5", "msg-5", "msg-6", "msg-5");
        assertEquals(2, engine.deleteRecords("t", new DeleteSelector(4, "msg-5", false)).deleted());
        assertEquals(List.of(3L, 4L), read("t", 0).seqs());
    }

    @Test
    void deletedSeqsNextToTheFloorAreCrossedSilentlyAndTheGapEndsAtTheFloor() throws Exception {
        writeTagged("t", "k", "k", "k", "x", "x", "k", "k", "k", "k", "k");
        engine.deleteRecords("t", new DeleteSelector(0, "x", false)); // seqs 4 and 5
        engine.putTopic("t", capRecords(5)); // evicts 1..3: the floor is 4, the first live seq 6
        assertState("t", 10, 6, 5, 5);
        Read r = read("t", 0);
        assertEquals(new Tombstone(1, 3, "cap", 3, 4, 10), r.tombstone());
        assertEquals(range(6, 10), r.seqs());
        for (long from = 3; from <= 5; from++) {
            Read silent = read("t", from);
            assertNull(silent.tombstone(), "from " + from);
            assertEquals(range(6, 10), silent.seqs(), "from " + from);
        }
    }

    @Test
    void removalsNeverMoveBackAndDeletesDoNotCountAsEvictions() throws Exception {
        engine.putTopic("t", capRecords(3));
        writeTagged("t", "a", "b", "a", "b");
        engine.deleteRecords("t", new DeleteSelector(0, "a", false)); // 3 goes; 1 was evicted already
        assertState("t", 4, 2, 2, 2);
        write("t", "5", "6"); // live 2, 4, 5, 6: the cap takes 2, skipping deleted 3 for the floor
        assertState("t", 6, 4, 3, 3);
        assertEquals(new Tombstone(1, 2, "cap", 2, 3, 6), read("t", 0).tombstone());
        assertNull(read("t", 2).tombstone());
    }

    @Test
    void ownNodeRecordsAreSkippedSilentlyAndAdvanceTheCursor() throws Exception {
        for (int i = 0; i < 5; i++) {
            engine.append("t", DurableEngineTest.tagged("1", null, "web-1", null));
        }
        JsonOut out = new JsonOut();
        DiffResult r = engine.diff("t", new DiffQuery(0, 2, 1 << 20, 0, true, true, java.util.Set.of("web-1")), out);
        assertEquals("", out.toString());
        assertEquals(5, r.nextFromSeq());
        assertTrue(r.caughtUp());
        engine.putTopic("t", new ConfigPatch(null, null, null, null, null, null, null, null, null, null, null, false,
                null, null, null, null, null));
        r = engine.diff("t", new DiffQuery(0, 2, 1 << 20, 0, true, true, java.util.Set.of("web-1")), new JsonOut());
        assertEquals(2, r.records());
    }

    @Test
    void aReadCrossesAtMostMaxSkippedFilteredRecordsThenAnswers() throws Exception {
        int n = TopicLog.MAX_SKIPPED + 5_000;
        for (int done = 0; done < n; done += 10_000) {
            WriteBatch b = new WriteBatch(10_000, 10_000);
            for (int i = 0; i < 10_000; i++) {
                b.add(0, 1, 1, 0, null, "web-1");
            }
            b.arena().ascii("1");
            engine.append("t", b);
        }
        DiffQuery own = new DiffQuery(0, 10, 1 << 20, 0, true, true, java.util.Set.of("web-1"));
        DiffResult first = engine.diff("t", own, new JsonOut());
        assertEquals(0, first.records());
        assertEquals(TopicLog.MAX_SKIPPED, first.nextFromSeq(), "bounded work per call");
        DiffResult second = engine.diff("t", new DiffQuery(first.nextFromSeq(), 10, 1 << 20, 0, true, true,
                java.util.Set.of("web-1")), new JsonOut());
        assertTrue(second.caughtUp());
    }

    @Test
    void anEphemeralTopicWithACapHoldsBoundedMemory() throws Exception {
        engine.putTopic("t", new ConfigPatch(null, null, 100L, null, null, null, "ephemeral", Optional.empty(), null,
                null, null, null, null, null, null, null, null));
        String big = "\"" + "x".repeat(1000) + "\"";
        for (int i = 0; i < 40_000; i++) {
            engine.append("t", EngineTest.batch(big));
        }
        assertState("t", 40_000, 39_901, 100, 100 * 1002);
        // 40 MB went through; what stays is the live records' chunks
        assertTrue(engine.memoryBytes() < 12 << 20, "memory " + engine.memoryBytes());
    }
}
