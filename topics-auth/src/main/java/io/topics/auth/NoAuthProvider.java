package io.topics.auth;

import java.util.Map;
import java.util.Optional;

import io.topics.api.spi.auth.AuthProvider;
import io.topics.api.spi.auth.Authenticator;
import io.topics.api.spi.auth.Principal;

/**
 * {@code none}: development mode. Every request, with or without a token, gets full access.
 * The server refuses to start with it on a non-loopback bind unless explicitly allowed.
 */
public final class NoAuthProvider implements AuthProvider {
    private static final Authenticator OPEN = new Authenticator() {
        @Override
        public Optional<Principal> authenticate(String bearerToken) {
            return Optional.of(Principal.ANONYMOUS);
        }

        @Override
        public boolean enabled() {
            return false;
        }
    };

    @Override
    public String name() {
        return "none";
    }

    @Override
    public Authenticator create(Map<String, String> settings) {
        return OPEN;
    }
}
