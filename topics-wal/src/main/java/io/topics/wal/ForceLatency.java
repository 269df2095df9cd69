package io.topics.wal;

import java.util.concurrent.atomic.LongAdder;

/**
 * A fixed-bucket histogram of force ({@code fsync}) latencies in microseconds, shared by the
 * shards of one WAL, cheap enough to record every force. Rendered as a Prometheus histogram.
 */
public final class ForceLatency {
    /** Upper bounds, in microseconds, of every bucket but the last (+Inf). */
    public static final long[] BOUNDS_US = {50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000,
        100_000, 250_000, 1_000_000};

    private final LongAdder[] counts = new LongAdder[BOUNDS_US.length + 1];
    private final LongAdder sumUs = new LongAdder();

    ForceLatency() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    void record(long nanos) {
        long us = nanos / 1000;
        int i = 0;
        while (i < BOUNDS_US.length && us > BOUNDS_US[i]) {
            i++;
        }
        counts[i].increment();
        sumUs.add(us);
    }

    /** Observations at or below each bound, cumulative, the last being +Inf (the total count). */
    public long[] cumulative() {
        long[] c = new long[counts.length];
        long running = 0;
        for (int i = 0; i < counts.length; i++) {
            running += counts[i].sum();
            c[i] = running;
        }
        return c;
    }

    public long sumMicros() {
        return sumUs.sum();
    }
}
