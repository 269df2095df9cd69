package io.topics.wal;

import io.topics.api.spi.durability.AckPoint;

/** {@code memory}: The group-committed WAL path, acknowledged at enqueue: best effort, never blocks. */
public final class MemoryDurability extends BuiltinDurability {
    public MemoryDurability() {
        super("memory", AckPoint.ENQUEUED, true);
    }
}
