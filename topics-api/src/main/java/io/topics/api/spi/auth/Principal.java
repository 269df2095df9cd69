package io.topics.api.spi.auth;

import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * An authenticated caller: its scopes and the name prefixes it may touch. Never carries a
 * secret.
 *
 * @param id       a non-secret label for logs and per-key accounting (never the token)
 * @param scopes   the granted scopes
 * @param prefixes allowed topic/router name prefixes; empty means every name
 */
public record Principal(String id, Set<Scope> scopes, List<String> prefixes) {
    /** Full access: every scope, every name. What the {@code none} provider hands out. */
    public static final Principal ANONYMOUS = new Principal("anonymous", EnumSet.allOf(Scope.class), List.of());

    public Principal {
        Objects.requireNonNull(id, "id is null");
        scopes = Set.copyOf(scopes);
        prefixes = List.copyOf(prefixes);
    }

    public boolean has(Scope scope) {
        return scopes.contains(scope);
    }

    /** Whether {@code name} starts with one of the allowed prefixes (byte-exact). */
    public boolean mayTouch(String name) {
        if (prefixes.isEmpty()) {
            return true;
        }
        for (String p : prefixes) {
            if (name.startsWith(p)) {
                return true;
            }
        }
        return false;
    }
}
