package io.topics.wal;

/**
 * What a WAL frame records. The byte codes are part of the on-disk format: never renumber,
 * only add.
 */
public enum FrameType {
    /** A batch of records appended to a topic; {@code seq} is the batch's first seq. */
    APPEND(1),
    /** A topic instance was created; the payload is its name and config. */
    TOPIC_CREATE(2),
    /** A topic's config changed; the payload is the new config. */
    TOPIC_CONFIG(3),
    /** A topic instance was deleted. */
    TOPIC_DELETE(4),
    /** Seqs up to {@code seq} are reserved and never handed out again (ephemeral topics). */
    RESERVE_HEAD(5),
    /** The last frame of a file the writer rotated away from; never delivered by replay. */
    SEAL(6),
    /** Records of a topic were deleted; the payload says which (the engine's format). */
    DELETE(7),
    /** A topic's records up to {@code seq} expired by TTL, whatever its TTL becomes later. */
    TTL_FLOOR(8),
    /** A topic's records up to {@code seq} were evicted by a cap while its class logged no records. */
    CAP_FLOOR(9),
    /** Seqs up to {@code seq} may be handed out to writes a crash can lose (memory, disk). */
    RESERVE_TAIL(10),
    /** A crash lost a topic's tail: the seqs from the payload's up to {@code seq} are gone for good. */
    LOST_RANGE(11),
    /** A clean stop: a topic's seqs after {@code seq} were never handed out to a lost write. */
    TAIL_SETTLED(12);

    private final byte code;

    FrameType(int code) {
        this.code = (byte) code;
    }

    public byte code() {
        return code;
    }

    /** The type for {@code code}, or null for a code this version does not know. */
    public static FrameType of(byte code) {
        for (FrameType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
