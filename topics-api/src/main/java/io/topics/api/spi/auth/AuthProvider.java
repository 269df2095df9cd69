package io.topics.api.spi.auth;

import java.util.Map;

/**
 * A way to authenticate requests, selected by {@code TOPICS_AUTH} (default: {@code bearer} when
 * API keys are configured, else {@code none}).
 *
 * <p>Contract for implementers:
 * <ul>
 *   <li>{@link #name()} is unique among all loaded providers; a duplicate fails start-up.</li>
 *   <li>{@link #create} is called once, at start-up, with the server's {@code TOPICS_*}
 *       settings. It must fail closed: any setting it cannot understand throws
 *       {@link IllegalArgumentException} with a message naming the setting (never the secret),
 *       and the server refuses to start.</li>
 *   <li>Secrets must not outlive {@code create}: keep only digests.</li>
 * </ul>
 */
public interface AuthProvider {
    /** The provider name used in {@code TOPICS_AUTH}, e.g. {@code "none"}. */
    String name();

    /** Builds the authenticator for this server. */
    Authenticator create(Map<String, String> settings);
}
