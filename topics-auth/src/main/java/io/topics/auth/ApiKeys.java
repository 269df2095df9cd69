package io.topics.auth;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiPredicate;

import io.topics.api.spi.auth.Authenticator;
import io.topics.api.spi.auth.Principal;
import io.topics.api.spi.auth.Scope;

/**
 * The configured API keys, held only as SHA-256 digests, each with the principal it stands for.
 *
 * <p>{@code TOPICS_API_KEYS} is a comma-separated list of entries (spec §14):
 * <pre>
 * key                  every scope, every name
 * key:scopes           those scopes, every name
 * key:scopes:prefixes  those scopes, names starting with one of the prefixes
 * key::prefixes        every scope, names starting with one of the prefixes
 * </pre>
 * The key is everything before the first {@code :}; the scopes run to the second {@code :}
 * and the prefixes are the rest (a prefix may itself contain {@code :}, as in
 * {@code tenant42:}). Scopes are joined with {@code +}, prefixes with {@code |}; an empty field
 * means every scope or every name. Whitespace around an entry is ignored, and so are empty
 * entries (a trailing comma). The principal of the n-th key (counting from 1) is called
 * {@code key-n}: a label for the watch owner check, per-key accounting and logs, never the key.
 *
 * <p>Immutable after {@link #parse}; {@link #authenticate} is safe from any thread.
 */
final class ApiKeys implements Authenticator {
    private final byte[][] digests;
    private final Principal[] principals;
    /** {@link MessageDigest#isEqual}; a seam so a test can count that every digest is compared. */
    private final BiPredicate<byte[], byte[]> sameDigest;

    private ApiKeys(byte[][] digests, Principal[] principals, BiPredicate<byte[], byte[]> sameDigest) {
        this.digests = digests;
        this.principals = principals;
        this.sameDigest = sameDigest;
    }

    /**
     * Parses {@code TOPICS_API_KEYS}, digesting each key; the copy of the setting this method
     * makes, and every byte buffer a key passes through, are zeroed before it returns. (The
     * setting's own {@code String} cannot be cleared: it lives as long as the environment.)
     *
     * @throws IllegalArgumentException on a setting the server must refuse to start with; the
     *     message names the entry by its label, never by its key
     */
    static ApiKeys parse(String setting) {
        return parse(setting, MessageDigest::isEqual);
    }

    /** {@link #parse(String)} with another digest comparison (tests only). */
    static ApiKeys parse(String setting, BiPredicate<byte[], byte[]> sameDigest) {
        if (setting == null || setting.isBlank()) {
            throw new IllegalArgumentException(BearerAuthProvider.KEYS_SETTING
                    + " is not set: the bearer auth provider needs at least one key");
        }
        char[] chars = setting.toCharArray();
        try {
            List<byte[]> digests = new ArrayList<>();
            List<Principal> principals = new ArrayList<>();
            int start = 0;
            for (int i = 0; i <= chars.length; i++) {
                if (i < chars.length && chars[i] != ',') {
                    continue;
                }
                int from = start;
                int to = i;
                start = i + 1;
                while (from < to && Character.isWhitespace(chars[from])) {
                    from++;
                }
                while (to > from && Character.isWhitespace(chars[to - 1])) {
                    to--;
                }
                if (from == to) {
                    continue;
                }
                String label = "key-" + (digests.size() + 1);
                int colon = indexOf(chars, ':', from, to);
                int keyEnd = colon < 0 ? to : colon;
                if (keyEnd == from) {
                    throw refuse(label, "has an empty key (the key is what comes before the first ':')");
                }
                byte[] digest = digest(chars, from, keyEnd, label);
                for (int k = 0; k < digests.size(); k++) {
                    if (MessageDigest.isEqual(digests.get(k), digest)) {
                        throw refuse(label, "repeats the key of " + principals.get(k).id());
                    }
                }
                String rest = colon < 0 ? "" : new String(chars, colon + 1, to - colon - 1);
                int second = rest.indexOf(':');
                Set<Scope> scopes = scopes(second < 0 ? rest : rest.substring(0, second), label);
                List<String> prefixes = prefixes(second < 0 ? "" : rest.substring(second + 1), label);
                digests.add(digest);
                principals.add(new Principal(label, scopes, prefixes));
            }
            if (digests.isEmpty()) {
                throw new IllegalArgumentException(BearerAuthProvider.KEYS_SETTING + " holds no key");
            }
            return new ApiKeys(digests.toArray(byte[][]::new), principals.toArray(Principal[]::new), sameDigest);
        } finally {
            Arrays.fill(chars, '\0');
        }
    }

    /**
     * Digests the presented token and compares it with every stored digest, always all of
     * them and each in constant time, so the answer's timing says nothing about which key, or
     * how much of one, matched.
     */
    @Override
    public Optional<Principal> authenticate(String bearerToken) {
        if (bearerToken == null) {
            return Optional.empty();
        }
        byte[] presented = bearerToken.getBytes(StandardCharsets.UTF_8);
        byte[] digest;
        try {
            digest = sha256().digest(presented);
        } finally {
            Arrays.fill(presented, (byte) 0);
        }
        Principal match = null;
        for (int i = 0; i < digests.length; i++) {
            if (sameDigest.test(digests[i], digest) && match == null) {
                match = principals[i];
            }
        }
        return Optional.ofNullable(match);
    }

    @Override
    public boolean enabled() {
        return true;
    }

    /** The principals, in configuration order (for tests and start-up logging). */
    List<Principal> principals() {
        return List.of(principals);
    }

    private static Set<Scope> scopes(String field, String label) {
        try {
            return Scope.parse(field);
        } catch (IllegalArgumentException e) {
            throw refuse(label, "has an " + e.getMessage());
        }
    }

    private static List<String> prefixes(String field, String label) {
        if (field.isEmpty()) {
            return List.of();
        }
        List<String> prefixes = List.of(field.split("\\|", -1));
        if (prefixes.contains("")) {
            // "a|" would otherwise allow every name through its empty prefix: almost certainly a typo
            throw refuse(label, "has an empty prefix in its allowlist; leave the whole field empty to allow every name");
        }
        return prefixes;
    }

    private static byte[] digest(char[] chars, int from, int to, String label) {
        ByteBuffer utf8;
        try {
            utf8 = StandardCharsets.UTF_8.newEncoder().encode(CharBuffer.wrap(chars, from, to - from));
        } catch (CharacterCodingException e) {
            throw refuse(label, "is not valid text");
        }
        try {
            MessageDigest md = sha256();
            md.update(utf8);
            return md.digest();
        } finally {
            Arrays.fill(utf8.array(), (byte) 0);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static int indexOf(char[] chars, char c, int from, int to) {
        for (int i = from; i < to; i++) {
            if (chars[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static IllegalArgumentException refuse(String label, String why) {
        return new IllegalArgumentException(BearerAuthProvider.KEYS_SETTING + " " + label + " " + why);
    }
}
