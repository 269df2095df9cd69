package io.topics.server.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

/**
 * The read version's promise (what watch streams share batches and sleep by): a read that
 * saw the same version before and after it saw at least that version's head. A publish moves
 * the version after it writes the head; the other order once let a stream cache an empty
 * batch under the new version and sleep while the record waited (found in review).
 */
class ReadVersionTest {
    @Test
    void aReadThatSawTheSameVersionBeforeAndAfterSawTheHeadOfThatVersion() throws Exception {
        TestingClock clock = new TestingClock(1_700_000_000_000L);
        Engine engine = new Engine(clock, EngineLimits.DEFAULTS, EngineTest.CLASSES);
        engine.append("p", EngineTest.batch("0"));
        var f = Engine.class.getDeclaredField("topics");
        f.setAccessible(true);
        @SuppressWarnings("unchecked")
        Topic t = ((Map<String, Topic>) f.get(engine)).get("p");
        Map<Long, Long> headOf = new ConcurrentHashMap<>(); // version → the head it stands for
        headOf.put(t.log.version(), t.log.head());

        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                engine.append("p", EngineTest.batch("x"));
                headOf.put(t.log.version(), t.log.head()); // the only writer: nothing else moved it
            }
        });
        long[] versions = new long[2_000_000];
        long[] heads = new long[versions.length]; // what the stable reads saw
        int n = 0;
        long until = System.nanoTime() + 2_000_000_000L; // the old order failed within a second, every run
        try {
            while (System.nanoTime() < until && n < versions.length) {
                long v1 = t.log.version();
                long h = t.log.head();
                if (t.log.version() == v1) {
                    versions[n] = v1;
                    heads[n++] = h;
                }
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        for (int i = 0; i < n; i++) {
            Long head = headOf.get(versions[i]);
            // older than the version says is the harmful direction; newer is harmless (the version then moves)
            assertTrue(head == null || heads[i] >= head, "version " + versions[i] + " read head " + heads[i]
                    + ", but that version's head is " + head);
        }
    }
}
