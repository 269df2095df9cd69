package io.topics.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.topics.api.ErrorCode;
import io.topics.api.TopicsException;
import io.topics.api.spi.durability.DurabilityClassProvider;
import io.topics.api.storage.RealStorage;
import io.topics.wal.DiskDurability;
import io.topics.wal.EphemeralDurability;
import io.topics.wal.FsyncDurability;
import io.topics.wal.MemoryDurability;
import io.topics.wal.Wal;
import io.topics.wal.WalOptions;
import io.topics.wal.WalReplay;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine on a real WAL: what each class keeps across a restart, and idempotent recovery. */
class DurableEngineTest {
    static final Map<String, DurabilityClassProvider> CLASSES = Map.of("ephemeral", new EphemeralDurability(),
            "memory", new MemoryDurability(), "disk", new DiskDurability(), "fsync", new FsyncDurability());

    @TempDir
    Path dir;
    final TestingClock clock = new TestingClock(1_700_000_000_000L);
    Wal wal;

    /** A fresh engine recovered from the WAL on disk, with the WAL open for writing. */
    Engine open(int shards) throws Exception {
        if (wal != null) {
            wal.close();
        }
        WalJournal journal = new WalJournal();
        Engine engine = new Engine(clock, EngineLimits.DEFAULTS, CLASSES, journal);
        WalReplay.Result r = WalReplay.replay(RealStorage.INSTANCE, dir, engine::replay);
        assertEquals(List.of(), engine.recovered(true), "the log is whole");
        wal = Wal.start(RealStorage.INSTANCE, dir, new WalOptions(shards, 1 << 20, false, 1000), r.nextLsn(), clock);
        journal.attach(wal);
        return engine;
    }

    @AfterEach
    void close() {
        if (wal != null) {
            wal.close();
        }
    }

    static ConfigPatch durability(String name) {
        return new ConfigPatch(null, null, null, null, null, null, name, null, null, null, null, null, null, null,
                null, null, null);
    }

    static WriteBatch tagged(String data, String tag, String node, String meta) {
        WriteBatch b = new WriteBatch(1, 64);
        JsonOut a = b.arena();
        a.ascii(data);
        int metaOff = a.size();
        if (meta != null) {
            a.ascii(meta);
        }
        b.add(0, data.length(), metaOff, meta == null ? 0 : meta.length(), tag, node);
        return b;
    }

    static String read(Engine e, String topic) throws Exception {
        JsonOut out = new JsonOut();
        e.diff(topic, DiffQuery.from(0).withLimit(1000), out);
        return out.toString();
    }

    @Test
    void loggedClassesKeepEveryAckedRecordAcrossARestart() throws Exception {
        Engine e = open(2);
        for (String cls : new String[] {"memory", "disk", "fsync"}) {
            e.putTopic(cls, durability(cls));
            e.append(cls, tagged("{\"n\":1}", "t-1", "web-1", "{\"m\":true}"));
            clock.advance(5);
            e.append(cls, EngineTest.batch("2", "\"three\"", "[4]"));
        }
        Map<String, String> before = new java.util.HashMap<>();
        for (String cls : new String[] {"memory", "disk", "fsync"}) {
            before.put(cls, read(e, cls));
        }
        Engine again = open(2);
        for (String cls : new String[] {"memory", "disk", "fsync"}) {
            assertEquals(before.get(cls), read(again, cls), cls);
            TopicInfo info = again.state(cls, false);
            // memory: acked at enqueue, so a stop without the final checkpoint may have lost the tail
            assertEquals(cls.equals("memory") ? 1 + Engine.TAIL_BLOCK : 4, info.headSeq());
            assertEquals(4, info.count());
            assertEquals(cls, info.config().durability());
            assertEquals(info.headSeq() + 1, again.append(cls, EngineTest.batch("5")).firstSeq(), "the next write gets head + 1");
        }
        assertTrue(before.get("disk").contains("\"$node\":\"web-1\",\"$tag\":\"t-1\",\"data\":{\"n\":1},\"meta\":{\"m\":true}"),
                before.get("disk"));
    }

    @Test
    void ephemeralRecordsAreGoneButTheirSeqsAreNeverReused() throws Exception {
        Engine e = open(1);
        e.putTopic("eph", durability("ephemeral"));
        e.append("eph", EngineTest.batch("1", "2", "3"));
        Engine again = open(1);
        TopicInfo info = again.state("eph", false);
        assertEquals("ephemeral", info.config().durability(), "config survives");
        assertEquals(0, info.count(), "records are gone by design");
        long next = again.append("eph", EngineTest.batch("4")).firstSeq();
        assertTrue(next > 3, "seqs are never reused: got " + next);
        assertEquals(3 + Engine.RESERVE_BLOCK + 1, next);
    }

    @Test
    void deletesRecreatesAndConfigChangesSurvive() throws Exception {
        Engine e = open(3);
        e.append("a", EngineTest.batch("1", "2"));
        e.deleteTopic("a", false);
        e.append("a", EngineTest.batch("x"));
        e.putTopic("b", new ConfigPatch(null, 60_000L, null, null, null, true, null, Optional.of(7), null, null,
                null, null, null, null, null, null, null));
        e.append("gone", EngineTest.batch("1"));
        e.deleteTopic("gone", false);
        Engine again = open(2);
        assertEquals(1, again.state("a", false).headSeq(), "the recreated instance restarted at seq 1");
        assertTrue(read(again, "a").contains("\"data\":\"x\"") || read(again, "a").contains("\"data\":x"));
        assertEquals("fsync", again.state("b", false).config().durability());
        assertEquals(60_000, again.state("b", false).config().ttlMs());
        assertEquals(7, again.state("b", false).config().priority());
        assertEquals(ErrorCode.TOPIC_NOT_FOUND, assertThrows(TopicsException.class, () -> again.state("gone", false)).code());
        assertEquals(2, again.topicCount());
    }

    @Test
    void switchingClassesUnderWritesKeepsSeqsContiguousAndSurvives() throws Exception {
        Engine e = open(2);
        String[] cycle = {"fsync", "memory", "disk", "ephemeral", "fsync"};
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        e.putTopic("sw", durability("disk"));
        java.util.List<java.util.concurrent.Future<?>> writers = new java.util.ArrayList<>();
        for (int w = 0; w < 3; w++) {
            writers.add(pool.submit(() -> {
                while (!stop.get()) {
                    e.append("sw", EngineTest.batch("1", "2"));
                }
                return null;
            }));
        }
        for (String cls : cycle) {
            Thread.sleep(20);
            e.putTopic("sw", durability(cls));
        }
        stop.set(true);
        for (var f : writers) {
            f.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        pool.shutdown();
        TopicInfo info = e.state("sw", false);
        assertEquals(info.headSeq(), info.count(), "every seq up to the head is readable, in order");
        Engine again = open(1);
        TopicInfo after = again.state("sw", false);
        assertEquals("fsync", after.config().durability());
        assertTrue(again.append("sw", EngineTest.batch("x")).firstSeq() > info.headSeq(), "no seq is handed out twice");
    }

    @Test
    void recoveringTwiceGivesIdenticalState() throws Exception {
        Engine e = open(2);
        for (int i = 0; i < 50; i++) {
            e.append("t" + (i % 5), EngineTest.batch(Integer.toString(i), "\"s" + i + "\""));
        }
        e.deleteTopic("t3", false);
        wal.close();
        wal = null;
        Engine first = new Engine(clock, EngineLimits.DEFAULTS, CLASSES, Journal.NONE);
        WalReplay.replay(RealStorage.INSTANCE, dir, first::replay);
        first.recovered(true);
        Engine second = new Engine(clock, EngineLimits.DEFAULTS, CLASSES, Journal.NONE);
        WalReplay.replay(RealStorage.INSTANCE, dir, second::replay);
        second.recovered(true);
        // replaying into an engine that already holds the frames changes nothing either
        WalReplay.replay(RealStorage.INSTANCE, dir, second::replay);
        second.recovered(true);
        assertEquals(first.topicCount(), second.topicCount());
        for (String t : new String[] {"t0", "t1", "t2", "t4"}) {
            assertEquals(read(first, t), read(second, t), t);
            assertEquals(first.state(t, false).headSeq(), second.state(t, false).headSeq());
            assertEquals(first.state(t, false).bytes(), second.state(t, false).bytes());
        }
        assertEquals(4, first.topicCount());
    }

    @Test
    void aFailedJournalRefusesWritesWith503AndPublishesNothing() throws Exception {
        Engine e = open(1);
        e.append("t", EngineTest.batch("1"));
        wal.close(); // a closed WAL refuses like a failed one
        TopicsException refused = assertThrows(TopicsException.class, () -> e.append("t", EngineTest.batch("2")));
        assertEquals(503, refused.code().status());
        assertEquals("storage_failed", refused.detail().get("reason"));
        assertEquals(1, e.state("t", false).headSeq(), "nothing of the refused write is visible");
        assertTrue(read(e, "t").contains("\"data\":1"));
        wal = null;
    }

    @Test
    void recordsAreReadableOnlyAfterTheirCommit() throws Exception {
        Engine e = open(1);
        e.putTopic("f", durability("fsync"));
        AppendResult r = e.append("f", EngineTest.batch("1"));
        // append returns only after the commit, and by then the record is published
        assertEquals(r.lastSeq(), e.state("f", false).headSeq());
        assertTrue(wal.stats().forces() > 0, "an fsync-class write was forced before its ack");
    }
}
