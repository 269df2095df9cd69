package io.topics.server.http;

import io.topics.api.spi.auth.Principal;

/**
 * Admits requests and SSE streams under the {@link ConnectionCaps}: the slots a request or a
 * stream holds while it runs, each given back when it ends, on every path.
 */
final class Admission {
    private static final String EVERYONE = "";

    private final Slots sse;
    private final Slots ssePerKey;
    private final Slots inflightPerKey;

    /** @param perKey whether the per-key caps apply (only with auth enabled, spec §15) */
    Admission(ConnectionCaps caps, boolean perKey) {
        this.sse = new Slots("max_sse_connections", "open SSE streams", caps.maxSseConnections());
        this.ssePerKey = new Slots("max_sse_connections_per_key", "open SSE streams for this key", perKey ? caps.maxSseConnectionsPerKey() : 0);
        this.inflightPerKey = new Slots("max_inflight_per_key", "requests in flight for this key", perKey ? caps.maxInflightPerKey() : 0);
    }

    /** A slot for one request of {@code caller}, or {@code 429 throttled}. */
    Slots.Slot request(Principal caller) {
        return inflightPerKey.take(caller.id());
    }

    /** Requests of {@code key} being handled now (counted only while the per-key caps apply). */
    int requestsInFlight(String key) {
        return inflightPerKey.held(key);
    }

    /**
     * The slots of one SSE stream: one of everyone's and one of {@code owner}'s (the key that
     * created the session), or {@code 429 throttled} with neither taken.
     */
    Slots.Slot stream(String owner) {
        Slots.Slot total = sse.take(EVERYONE);
        Slots.Slot own;
        try {
            own = ssePerKey.take(owner);
        } catch (RuntimeException e) {
            total.close();
            throw e;
        }
        return () -> {
            own.close();
            total.close();
        };
    }
}
