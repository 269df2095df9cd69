package io.topics.wal;

import io.topics.api.spi.durability.AckPoint;
import io.topics.api.spi.durability.DurabilityClassProvider;

/** The shared shape of the four built-in classes; each subclass is one ServiceLoader entry. */
abstract sealed class BuiltinDurability implements DurabilityClassProvider
        permits EphemeralDurability, MemoryDurability, DiskDurability, FsyncDurability {
    private final String name;
    private final AckPoint ackPoint;
    private final boolean logsRecords;

    BuiltinDurability(String name, AckPoint ackPoint, boolean logsRecords) {
        this.name = name;
        this.ackPoint = ackPoint;
        this.logsRecords = logsRecords;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final AckPoint ackPoint() {
        return ackPoint;
    }

    @Override
    public final boolean logsRecords() {
        return logsRecords;
    }

    @Override
    public final String toString() {
        return name;
    }
}
