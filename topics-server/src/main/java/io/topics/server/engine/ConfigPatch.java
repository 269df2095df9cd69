package io.topics.server.engine;

import java.util.Optional;
import java.util.Set;

import io.topics.api.Names;
import io.topics.api.TopicConfig;
import io.topics.api.TopicConfig.Discard;
import io.topics.api.TopicConfig.TopicType;
import io.topics.api.TopicsException;

/**
 * The fields a PUT body (or a creating write's {@code config}) sets. A null component was
 * absent from the body and keeps the current value. {@code priority} and {@code deadLetter}
 * can also be set to null explicitly, hence their {@link Optional} wrapper: null = absent,
 * empty = explicit null.
 */
public record ConfigPatch(
        TopicType type,
        Long ttlMs,
        Long capRecords,
        Long capBytes,
        Discard discard,
        Boolean durable,
        String durability,
        Optional<Integer> priority,
        Boolean autoPriority,
        Boolean autoCreate,
        Long idempotencyWindowMs,
        Boolean dedupeNode,
        Long leaseMs,
        Long claimJitterMs,
        Long maxDeliveries,
        Optional<String> deadLetter,
        Boolean leasesDurable) {

    public static final ConfigPatch EMPTY = new ConfigPatch(null, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null);

    public static final int MAX_PRIORITY = 1000;
    public static final long MIN_LEASE_MS = 100;
    public static final long MAX_LEASE_MS = 86_400_000;
    public static final long MAX_CLAIM_JITTER_MS = 5000;

    /**
     * The config that results from applying this patch to {@code base} for topic {@code topic}.
     * Validates values and clamps the clamped fields (§2); does not check {@code type}
     * immutability, which is the caller's business.
     *
     * @throws TopicsException {@code 400 invalid_request} on an unknown durability class or a
     *                         bad {@code dead_letter}
     */
    public TopicConfig applyTo(TopicConfig base, String topic, Set<String> durabilityClasses) {
        String resolvedDurability = base.durability();
        if (durability != null) {
            if (!durabilityClasses.contains(durability)) {
                throw TopicsException.invalid("unknown durability \"" + durability + "\"; available: "
                        + String.join(", ", new java.util.TreeSet<>(durabilityClasses)));
            }
            resolvedDurability = durability;
        } else if (durable != null) {
            resolvedDurability = durable ? TopicConfig.FSYNC : TopicConfig.DEFAULT_DURABILITY;
        }
        String dl = deadLetter == null ? base.deadLetter() : deadLetter.orElse(null);
        if (deadLetter != null && dl != null) {
            if (!Names.isTopicName(dl)) {
                throw TopicsException.invalid("dead_letter \"" + dl + "\" is not a valid topic name");
            }
            if (dl.equals(topic)) {
                throw TopicsException.invalid("dead_letter must not be the topic itself");
            }
        }
        Integer prio = priority == null ? base.priority()
                : priority.map(p -> Math.max(-MAX_PRIORITY, Math.min(MAX_PRIORITY, p))).orElse(null);
        return new TopicConfig(
                type != null ? type : base.type(),
                ttlMs != null ? ttlMs : base.ttlMs(),
                capRecords != null ? capRecords : base.capRecords(),
                capBytes != null ? capBytes : base.capBytes(),
                discard != null ? discard : base.discard(),
                resolvedDurability,
                prio,
                autoPriority != null ? autoPriority : base.autoPriority(),
                autoCreate != null ? autoCreate : base.autoCreate(),
                idempotencyWindowMs != null ? idempotencyWindowMs : base.idempotencyWindowMs(),
                dedupeNode != null ? dedupeNode : base.dedupeNode(),
                leaseMs != null ? clamp(leaseMs, MIN_LEASE_MS, MAX_LEASE_MS) : base.leaseMs(),
                claimJitterMs != null ? clamp(claimJitterMs, 0, MAX_CLAIM_JITTER_MS) : base.claimJitterMs(),
                maxDeliveries != null ? maxDeliveries : base.maxDeliveries(),
                dl,
                leasesDurable != null ? leasesDurable : base.leasesDurable());
    }

    private static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
