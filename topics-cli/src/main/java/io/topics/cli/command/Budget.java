package io.topics.cli.command;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * How much work a bench run may still do, shared by its workers: a number of records, or a
 * deadline. Thread-safe; a worker asks before each request.
 */
final class Budget {
    private final AtomicLong records; // null when timed
    private final LongSupplier nanoClock;
    private final long durationNanos;
    private volatile long deadlineNanos;
    private volatile boolean stopped;

    private Budget(AtomicLong records, LongSupplier nanoClock, long durationNanos) {
        this.records = records;
        this.nanoClock = nanoClock;
        this.durationNanos = durationNanos;
    }

    /** Exactly {@code count} records, handed out in batches. */
    static Budget records(long count) {
        return new Budget(new AtomicLong(count), null, 0);
    }

    /** Full batches until {@code duration} has passed on {@code nanoClock} since {@link #start()}. */
    static Budget until(Duration duration, LongSupplier nanoClock) {
        return new Budget(null, nanoClock, duration.toNanos());
    }

    /** Starts the clock of a timed budget; called once, just before the workers start. */
    void start() {
        if (records == null) {
            deadlineNanos = nanoClock.getAsLong() + durationNanos;
        }
    }

    /** Takes up to {@code want} records for the next request; 0 means the run is over. */
    int take(int want) {
        if (stopped) {
            return 0;
        }
        if (records == null) {
            return nanoClock.getAsLong() - deadlineNanos < 0 ? want : 0;
        }
        while (true) {
            long left = records.get();
            if (left <= 0) {
                return 0;
            }
            int granted = (int) Math.min(want, left);
            if (records.compareAndSet(left, left - granted)) {
                return granted;
            }
        }
    }

    /** Returns records a request took but did not move (a read that hit the end of the range). */
    void giveBack(int unused) {
        if (records != null && unused > 0) {
            records.addAndGet(unused);
        }
    }

    /** Ends the run for every worker, e.g. after the first failure. */
    void stop() {
        stopped = true;
    }
}
