package io.topics.auth;

import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import io.topics.api.spi.auth.AuthProvider;
import io.topics.api.spi.auth.Authenticator;
import io.topics.api.spi.auth.Principal;

/**
 * {@code bearer}: API keys from {@code TOPICS_API_KEYS} (spec §14), each with optional scopes
 * and a name-prefix allowlist. The server selects it whenever keys are configured. Only SHA-256
 * digests of the keys are kept; see {@link ApiKeys} for the entry syntax.
 */
public final class BearerAuthProvider implements AuthProvider {
    /** The setting the keys come from. */
    static final String KEYS_SETTING = "TOPICS_API_KEYS";
    private static final System.Logger LOG = System.getLogger(BearerAuthProvider.class.getName());

    @Override
    public String name() {
        return "bearer";
    }

    /**
     * Parses and digests {@code TOPICS_API_KEYS}.
     *
     * @throws IllegalArgumentException when the setting is missing, holds no key, repeats a key,
     *     or an entry has an empty key, an unknown scope token or an empty prefix; the message
     *     names the entry by position and never contains a key
     */
    @Override
    public Authenticator create(Map<String, String> settings) {
        ApiKeys keys = ApiKeys.parse(settings.get(KEYS_SETTING));
        // what each key may do, by label, so an operator can check the setting was read as meant
        LOG.log(System.Logger.Level.INFO, () -> "bearer auth with " + keys.principals().size() + " keys: "
                + keys.principals().stream().map(BearerAuthProvider::describe).collect(Collectors.joining("; ")));
        return keys;
    }

    /** {@code key-2 read+write on tenant42:*|shared.*}: a principal without anything secret. */
    static String describe(Principal p) {
        String scopes = p.scopes().stream().sorted().map(s -> s.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining("+"));
        String names = p.prefixes().isEmpty() ? "every name"
                : p.prefixes().stream().map(x -> x + "*").collect(Collectors.joining("|"));
        return p.id() + " " + scopes + " on " + names;
    }
}
