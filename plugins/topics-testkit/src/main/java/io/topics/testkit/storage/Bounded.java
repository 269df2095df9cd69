package io.topics.testkit.storage;

import java.util.concurrent.TimeUnit;

/** Runs a step that must not hang, such as closing a log after a simulated crash. */
public final class Bounded {
    private Bounded() {
    }

    /** Runs {@code step} on its own thread; an {@link AssertionError} names it when it takes longer than {@code seconds}. */
    public static void run(String name, Runnable step, long seconds) {
        Thread t = Thread.ofPlatform().name(name).start(step);
        try {
            t.join(TimeUnit.SECONDS.toMillis(seconds));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            throw new AssertionError(name + " hung for " + seconds + " s");
        }
    }
}
