package io.topics.server.engine;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers {@code idempotency_key -> seqs} of one topic for its window (spec §1.10).
 * Guarded by the topic's lock. Bounded: past {@link #MAX_KEYS} live keys the oldest is
 * forgotten early, which keeps memory bounded under a flood of unique keys.
 */
final class IdempotencyWindow {
    static final int MAX_KEYS = 100_000;

    /** The seqs the first call with a key was given. */
    record Entry(long firstSeq, int count, long expiresAt) {
    }

    // insertion order is expiry order while the window is unchanged; a changed window only
    // makes purging lazier, never wrong, because lookups check expiry themselves
    private final LinkedHashMap<String, Entry> byKey = new LinkedHashMap<>();

    Entry find(String key, long now) {
        purge(now);
        Entry e = byKey.get(key);
        return e == null || e.expiresAt() <= now ? null : e;
    }

    void remember(String key, long firstSeq, int count, long expiresAt) {
        byKey.put(key, new Entry(firstSeq, count, expiresAt));
        if (byKey.size() > MAX_KEYS) {
            Iterator<String> it = byKey.keySet().iterator();
            it.next();
            it.remove();
        }
    }

    int size() {
        return byKey.size();
    }

    private void purge(long now) {
        Iterator<Map.Entry<String, Entry>> it = byKey.entrySet().iterator();
        while (it.hasNext() && it.next().getValue().expiresAt() <= now) {
            it.remove();
        }
    }
}
