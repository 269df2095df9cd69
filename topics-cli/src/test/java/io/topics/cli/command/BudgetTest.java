package io.topics.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class BudgetTest {
    @Test
    void countIsHandedOutInBatchesWithAShortLastOne() {
        Budget b = Budget.records(25);
        b.start();

        assertEquals(10, b.take(10));
        assertEquals(10, b.take(10));
        assertEquals(5, b.take(10));
        assertEquals(0, b.take(10));
    }

    @Test
    void unusedRecordsCanBeTakenAgain() {
        Budget b = Budget.records(10);

        assertEquals(10, b.take(10));
        b.giveBack(4);
        assertEquals(4, b.take(10));
        assertEquals(0, b.take(10));
    }

    @Test
    void timedBudgetEndsAtTheDeadlineCountedFromStart() {
        AtomicLong now = new AtomicLong(1_000);
        Budget b = Budget.until(Duration.ofNanos(100), now::get);
        now.set(5_000); // time spent setting up does not count
        b.start();

        now.set(5_099);
        assertEquals(7, b.take(7));
        now.set(5_100);
        assertEquals(0, b.take(7));
    }

    @Test
    void stopEndsEitherKind() {
        Budget count = Budget.records(100);
        Budget timed = Budget.until(Duration.ofHours(1), System::nanoTime);
        timed.start();

        count.stop();
        timed.stop();

        assertEquals(0, count.take(1));
        assertEquals(0, timed.take(1));
    }
}
