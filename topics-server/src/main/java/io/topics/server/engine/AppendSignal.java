package io.topics.server.engine;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Wakes waiting readers when a topic moves. A reader {@link #listen listens} with a future of
 * its own, re-checks the topic and then waits on the future; a writer {@link #fire fires}
 * after publishing, which completes every future listening then. A reader always stops
 * listening when it stops waiting, so a reader that went away leaves nothing behind, however
 * long the topic stays quiet. Costs the writer an emptiness check when nobody waits.
 */
final class AppendSignal {
    private final Set<CompletableFuture<Void>> waiting = ConcurrentHashMap.newKeySet();

    void listen(CompletableFuture<Void> wake) {
        waiting.add(wake);
    }

    void unlisten(CompletableFuture<Void> wake) {
        waiting.remove(wake);
    }

    /** Futures listening now. */
    int listeners() {
        return waiting.size();
    }

    void fire() {
        if (!waiting.isEmpty()) {
            for (CompletableFuture<Void> f : waiting) {
                f.complete(null);
            }
        }
    }
}
