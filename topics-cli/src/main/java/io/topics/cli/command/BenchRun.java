package io.topics.cli.command;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A closed-loop load run: every worker sends its next request only when the previous one was
 * answered, so the load is the concurrency. Memory stays bounded whatever the length of the
 * run: counters and latency histograms only, nothing kept per request.
 */
final class BenchRun {
    private static final int SIGNIFICANT_DIGITS = 3;
    private static final long TICK_MS = 1000;

    /** One worker: one request in flight at a time, on a connection of its own. */
    interface Worker extends AutoCloseable {
        /** Sends one request for up to {@code records} records; returns how many it moved. */
        int send(int records) throws Exception;

        /** Closes the worker's connection; called on the worker's thread when it stops. */
        @Override
        void close();
    }

    /**
     * @param latencyMicros the latency of every request, in microseconds
     */
    record Result(long records, long requests, long elapsedNanos, Histogram latencyMicros) {
        double seconds() {
            return elapsedNanos / 1e9;
        }

        /** The summary: totals, throughput and latency percentiles. */
        void report(PrintWriter out) {
            double s = Math.max(seconds(), 1e-9);
            out.println(String.format(Locale.ROOT, "records %d  requests %d  elapsed %.3f s", records, requests, seconds()));
            out.println(String.format(Locale.ROOT, "throughput %.0f records/s  %.0f requests/s", records / s, requests / s));
            out.println(String.format(Locale.ROOT, "latency p50 %.3f ms  p99 %.3f ms  p999 %.3f ms  max %.3f ms",
                    ms(latencyMicros.getValueAtPercentile(50)), ms(latencyMicros.getValueAtPercentile(99)),
                    ms(latencyMicros.getValueAtPercentile(99.9)), ms(latencyMicros.getMaxValue())));
        }
    }

    private final String label;
    private final PrintWriter progress;
    private final Recorder recorder = new Recorder(SIGNIFICANT_DIGITS);
    private final Histogram total = new Histogram(SIGNIFICANT_DIGITS);
    private final LongAdder records = new LongAdder();
    private final LongAdder requests = new LongAdder();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private Histogram interval;
    private long lastRecords;
    private long lastTickNanos;
    private int lastLineLength;
    private long startNanos;

    private BenchRun(String label, PrintWriter progress) {
        this.label = label;
        this.progress = progress;
    }

    /**
     * Runs {@code workers} on virtual threads, one each, until {@code budget} is spent, printing
     * a progress line to {@code progress} once a second. The first failure stops every worker
     * and is thrown once they have all finished.
     */
    static Result run(String label, List<Worker> workers, Budget budget, int batch, PrintWriter progress)
            throws Exception {
        return new BenchRun(label, progress).run(workers, budget, batch);
    }

    private Result run(List<Worker> workers, Budget budget, int batch) throws Exception {
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-progress");
            t.setDaemon(true);
            return t;
        });
        startNanos = System.nanoTime();
        lastTickNanos = startNanos;
        budget.start();
        ticker.scheduleAtFixedRate(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        List<Thread> threads = new ArrayList<>(workers.size());
        try {
            for (int i = 0; i < workers.size(); i++) {
                Worker w = workers.get(i);
                threads.add(Thread.ofVirtual().name("bench-" + label + "-" + i).start(() -> loop(w, budget, batch)));
            }
        } finally {
            for (Thread t : threads) {
                t.join();
            }
        }
        long elapsed = System.nanoTime() - startNanos;
        ticker.shutdownNow();
        ticker.awaitTermination(10, TimeUnit.SECONDS); // after this, only this thread touches total
        total.add(recorder.getIntervalHistogram());
        if (lastLineLength > 0) {
            progress.println();
            progress.flush();
        }
        Exception e = failure.get();
        if (e != null) {
            progress.println(label + ": stopped after " + records.sum() + " records");
            throw e;
        }
        return new Result(records.sum(), requests.sum(), elapsed, total);
    }

    private void loop(Worker worker, Budget budget, int batch) {
        try (worker) {
            int n;
            while ((n = budget.take(batch)) > 0) {
                long t0 = System.nanoTime();
                int moved = worker.send(n);
                recorder.recordValue((System.nanoTime() - t0) / 1000);
                budget.giveBack(n - moved);
                records.add(moved);
                requests.increment();
            }
        } catch (Exception e) {
            failure.compareAndSet(null, e);
            budget.stop();
        }
    }

    /** The progress line: rate and p99 of the last second, overwritten in place with \r. */
    private void tick() {
        long now = System.nanoTime();
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        long sum = records.sum();
        double s = (now - lastTickNanos) / 1e9;
        String line = String.format(Locale.ROOT, "%s %3ds  %d records  %.0f records/s  %.0f requests/s  p99 %.3f ms",
                label, Math.round((now - startNanos) / 1e9), sum, (sum - lastRecords) / s,
                interval.getTotalCount() / s, ms(interval.getValueAtPercentile(99)));
        lastRecords = sum;
        lastTickNanos = now;
        progress.print("\r" + line + " ".repeat(Math.max(0, lastLineLength - line.length())));
        progress.flush();
        lastLineLength = line.length();
    }

    private static double ms(long micros) {
        return micros / 1000.0;
    }
}
