package io.topics.wal;

import io.topics.api.spi.durability.AckPoint;

/** {@code fsync}: Acknowledged after the group fsync: survives a power loss. */
public final class FsyncDurability extends BuiltinDurability {
    public FsyncDurability() {
        super("fsync", AckPoint.FORCED, true);
    }
}
