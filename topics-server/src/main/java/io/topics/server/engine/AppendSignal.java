package io.topics.server.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Wakes long-polling readers when a topic moves. A reader {@link #arm arms} the signal,
 * re-checks the head and then waits on the future; a writer {@link #fire fires} after
 * publishing. Costs the writer one volatile read when nobody waits.
 */
final class AppendSignal {
    private final AtomicReference<CompletableFuture<Void>> next = new AtomicReference<>();

    CompletableFuture<Void> arm() {
        CompletableFuture<Void> f = next.get();
        while (f == null) {
            CompletableFuture<Void> created = new CompletableFuture<>();
            f = next.compareAndExchange(null, created);
            if (f == null) {
                f = created;
            }
        }
        return f;
    }

    void fire() {
        if (next.get() != null) {
            CompletableFuture<Void> f = next.getAndSet(null);
            if (f != null) {
                f.complete(null);
            }
        }
    }
}
