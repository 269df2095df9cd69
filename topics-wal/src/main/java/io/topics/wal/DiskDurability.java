package io.topics.wal;

import io.topics.api.spi.durability.AckPoint;

/** {@code disk}: Acknowledged after the WAL write() returned: survives a killed process. The default. */
public final class DiskDurability extends BuiltinDurability {
    public DiskDurability() {
        super("disk", AckPoint.WRITTEN, true);
    }
}
