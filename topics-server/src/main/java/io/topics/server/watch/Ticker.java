package io.topics.server.watch;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A daemon thread that runs a sweep over the open streams every period: the watch's timers,
 * one thread each, so that a waiting or writing stream needs no timer of its own.
 */
public final class Ticker implements AutoCloseable {
    private final ScheduledExecutorService timer;

    private Ticker(String name, long periodMs, Runnable sweep) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name(name).unstarted(r));
        timer.scheduleWithFixedDelay(sweep, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    public static Ticker every(String name, long periodMs, Runnable sweep) {
        return new Ticker(name, periodMs, sweep);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
