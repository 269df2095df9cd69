package io.topics.server.http;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.topics.api.ErrorCode;
import io.topics.api.TopicsException;

/**
 * One counted cap of spec §15: a slot is taken when a request or stream starts and given back
 * when it ends. Counted per key (a cap for everyone is one key). Lock-free: the keys are the
 * configured API keys, so the map never grows past them.
 */
final class Slots {
    /** A slot that counts nothing: for a cap of 0, or a per-key cap with auth off. */
    static final Slot NONE = () -> { };

    private final String limit;
    private final String what;
    private final long max;
    private final Map<String, AtomicInteger> held = new ConcurrentHashMap<>();

    /**
     * @param limit the {@code detail.limit} a refusal names
     * @param what  what is counted, for the refusal's message
     * @param max   slots per key; 0 for no cap
     */
    Slots(String limit, String what, long max) {
        this.limit = limit;
        this.what = what;
        this.max = max;
    }

    /** A held slot; closing it gives it back, once however often it is closed. */
    interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Takes one of {@code key}'s slots.
     *
     * @throws TopicsException {@code 429 throttled} with {@code detail.limit} and {@code max} at the cap
     */
    Slot take(String key) {
        if (max <= 0) {
            return NONE;
        }
        AtomicInteger count = held.computeIfAbsent(key, k -> new AtomicInteger());
        int n;
        do {
            n = count.get();
            if (n >= max) {
                throw new TopicsException(ErrorCode.THROTTLED, "too many " + what + " (max " + max + ")",
                        Map.of("limit", limit, "max", max));
            }
        } while (!count.compareAndSet(n, n + 1));
        AtomicBoolean open = new AtomicBoolean(true);
        return () -> {
            if (open.compareAndSet(true, false)) {
                count.decrementAndGet();
            }
        };
    }

    /** Slots {@code key} holds now. */
    int held(String key) {
        AtomicInteger n = held.get(key);
        return n == null ? 0 : n.get();
    }
}
