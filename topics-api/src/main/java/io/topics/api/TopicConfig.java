package io.topics.api;

import java.util.Objects;

/**
 * A topic's resolved configuration (spec §2). Every field has a value; {@code priority} and
 * {@code deadLetter} may be null. {@link #durable()} is derived, never stored, so it always
 * equals {@code durability == "fsync"} as the contract requires.
 *
 * @param durability the name of a registered durability class, e.g. {@code "disk"}
 */
public record TopicConfig(
        TopicType type,
        long ttlMs,
        long capRecords,
        long capBytes,
        Discard discard,
        String durability,
        Integer priority,
        boolean autoPriority,
        boolean autoCreate,
        long idempotencyWindowMs,
        boolean dedupeNode,
        long leaseMs,
        long claimJitterMs,
        long maxDeliveries,
        String deadLetter,
        boolean leasesDurable) {

    /** The durability an absent or false {@code durable} resolves to. */
    public static final String DEFAULT_DURABILITY = "disk";
    /** The durability {@code durable: true} resolves to. */
    public static final String FSYNC = "fsync";

    public static final TopicConfig DEFAULTS = new TopicConfig(TopicType.LOG, 0, 0, 0, Discard.OLD,
            DEFAULT_DURABILITY, null, true, true, 120_000, true, 30_000, 0, 0, null, false);

    public TopicConfig {
        Objects.requireNonNull(type, "type is null");
        Objects.requireNonNull(discard, "discard is null");
        Objects.requireNonNull(durability, "durability is null");
    }

    /** {@code true} exactly when the class is {@code fsync}. */
    public boolean durable() {
        return FSYNC.equals(durability);
    }

    public enum TopicType {
        LOG, QUEUE;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public enum Discard {
        OLD, REJECT;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
