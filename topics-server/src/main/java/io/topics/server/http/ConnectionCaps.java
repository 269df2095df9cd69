package io.topics.server.http;

/**
 * The caps of spec §15 counted at the HTTP edge; 0 means no cap. The per-key ones apply only
 * when auth is enabled: without keys every caller is the same anonymous principal.
 *
 * @param maxSseConnections       open SSE streams in total ({@code TOPICS_MAX_SSE_CONNECTIONS})
 * @param maxSseConnectionsPerKey open SSE streams per key, counted against the key that created
 *                                the session ({@code TOPICS_MAX_SSE_CONNECTIONS_PER_KEY})
 * @param maxInflightPerKey       requests being handled at once per key; a stream holds none
 *                                ({@code TOPICS_MAX_INFLIGHT_PER_KEY})
 */
public record ConnectionCaps(long maxSseConnections, long maxSseConnectionsPerKey, long maxInflightPerKey) {
    public static final ConnectionCaps DEFAULTS = new ConnectionCaps(10_000, 1000, 1000);
}
