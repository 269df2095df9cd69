/**
 * The write-ahead log and the four built-in durability classes: {@code ephemeral},
 * {@code memory}, {@code disk} and {@code fsync}.
 */
module io.topics.wal {
    requires io.topics.api;

    exports io.topics.wal;

    provides io.topics.api.spi.durability.DurabilityClassProvider with
            io.topics.wal.EphemeralDurability,
            io.topics.wal.MemoryDurability,
            io.topics.wal.DiskDurability,
            io.topics.wal.FsyncDurability;
}
