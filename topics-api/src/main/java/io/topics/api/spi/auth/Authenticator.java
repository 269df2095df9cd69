package io.topics.api.spi.auth;

import java.util.Optional;

/**
 * Decides who is calling. One instance serves every request; it is called concurrently from
 * many threads and must not block on I/O.
 */
public interface Authenticator {
    /**
     * Authenticates the bearer token of one request.
     *
     * @param bearerToken the token after {@code "Bearer "}, or null when the request carried none
     * @return the caller, or empty when the token is missing or unknown (answered {@code 401})
     */
    Optional<Principal> authenticate(String bearerToken);

    /** Whether requests need a token at all. {@code false} only for development mode. */
    boolean enabled();
}
