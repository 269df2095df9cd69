package io.topics.api.spi.durability;

/** The moment in the write path after which a write of some durability class is acknowledged. */
public enum AckPoint {
    /** As soon as the records are in memory; nothing is written to the WAL. */
    IMMEDIATE,
    /** When the WAL frame is queued for its shard writer; it may still be lost in a crash. */
    ENQUEUED,
    /** When the {@code write()} that carries the frame returned: survives a killed process. */
    WRITTEN,
    /** When the group {@code fsync} that covers the frame returned: survives a power loss. */
    FORCED
}
