package io.topics.wal;

import io.topics.api.spi.durability.AckPoint;

/** {@code ephemeral}: RAM only: records are gone after a restart by design; config and the reserved head persist. */
public final class EphemeralDurability extends BuiltinDurability {
    public EphemeralDurability() {
        super("ephemeral", AckPoint.IMMEDIATE, false);
    }
}
