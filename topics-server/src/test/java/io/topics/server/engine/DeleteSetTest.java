package io.topics.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/** The delete bitmap against a plain sorted set: membership, ranges, dropping, encoding, and views. */
class DeleteSetTest {
    @Test
    void agreesWithASortedSetOnEveryQuery() {
        Random rnd = new Random(42);
        for (int round = 0; round < 20; round++) {
            DeleteSet d = new DeleteSet();
            TreeSet<Long> model = new TreeSet<>();
            long span = 1L << (10 + rnd.nextInt(10)); // within one page, or across many
            long origin = rnd.nextInt(1 << 20);
            for (int i = 0; i < 500; i++) {
                long seq = origin + (long) (rnd.nextDouble() * span);
                d.add(seq);
                model.add(seq);
            }
            for (long run = origin + span / 3; run < origin + span / 3 + 130; run++) { // a dense run: whole words
                d.add(run);
                model.add(run);
            }
            for (int q = 0; q < 300; q++) {
                long from = origin - 70 + (long) (rnd.nextDouble() * (span + 140));
                long to = from + rnd.nextInt(300);
                long seq = from;
                assertEquals(model.contains(seq), d.contains(seq), "contains " + seq);
                assertEquals(!model.subSet(from, true, to, true).isEmpty(), d.view().anyIn(from, to), from + ".." + to);
                assertEquals(model.subSet(from, true, to, true).size() == to - from + 1, d.containsAll(from, to),
                        from + ".." + to);
            }
            DeleteSet copy = DeleteSet.decode(d.encoded());
            for (long seq = origin - 10; seq < origin + span + 10; seq += 1 + rnd.nextInt(7)) {
                assertEquals(model.contains(seq), copy.contains(seq), "decoded " + seq);
            }
        }
    }

    @Test
    void aViewKeepsWhatItSawWhenPagesAreDroppedAndGrowsOnlyBits() {
        DeleteSet d = new DeleteSet();
        d.add(5);
        d.add(200_000);
        DeleteSet.View before = d.view();
        d.dropBelow(150_000);
        d.add(70_000); // below the new base: a new table, the old view's shape is untouched
        assertTrue(before.contains(5), "a running reader still sees the dropped page");
        assertEquals(false, d.contains(5));
        assertTrue(d.contains(70_000) && d.contains(200_000));
        d.dropBelow(Long.MAX_VALUE >>> 1);
        assertTrue(d.isEmpty());
        assertTrue(before.contains(200_000));
    }
}
