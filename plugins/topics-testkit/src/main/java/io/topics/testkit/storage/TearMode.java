package io.topics.testkit.storage;

/** How {@link FakeStorage#crash} damages the last pending write of one file. */
public enum TearMode {
    /** Every pending write is lost, none is torn. */
    NONE,
    /** A random-length prefix of the write reached the disk, the rest did not. */
    CUT,
    /** The whole write reached the disk except one 512-byte sector of it, which reads as zeros. */
    ZERO_SECTOR,
    /** The whole write reached the disk with one random bit flipped. */
    FLIP_BIT
}
