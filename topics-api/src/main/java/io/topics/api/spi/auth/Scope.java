package io.topics.api.spi.auth;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** What a caller may do (spec §14). */
public enum Scope {
    READ, WRITE, DELETE, ADMIN;

    /** The longest unknown scope token an error message quotes. */
    private static final int QUOTABLE = 16;

    /** The name a key entry uses: {@code read}, {@code write}, {@code delete}, {@code admin}. */
    public String token() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The scopes of a key entry's scope field (spec §14): tokens joined with {@code +}, each a
     * name or an alias ({@code r}, {@code w}, {@code d}/{@code del}, {@code a}, {@code rw} for
     * read and write), in any case, blanks around them ignored. An empty field means every scope.
     *
     * @throws IllegalArgumentException for an unknown token (fail closed), quoting it only when
     *     it is short: a long one is more likely a key pasted into the wrong field
     */
    public static Set<Scope> parse(String field) {
        if (field.isEmpty()) {
            return EnumSet.allOf(Scope.class);
        }
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (String token : field.split("\\+", -1)) {
            String t = token.trim().toLowerCase(Locale.ROOT);
            switch (t) {
                case "read", "r" -> scopes.add(READ);
                case "write", "w" -> scopes.add(WRITE);
                case "rw" -> scopes.addAll(EnumSet.of(READ, WRITE));
                case "delete", "del", "d" -> scopes.add(DELETE);
                case "admin", "a" -> scopes.add(ADMIN);
                default -> throw new IllegalArgumentException("unknown scope " + (token.length() <= QUOTABLE
                        ? "\"" + token + "\"" : "of " + token.length() + " characters")
                        + "; scopes are read, write, delete and admin (or r, w, d, del, a, and rw for read+write),"
                        + " joined with '+'");
            }
        }
        return scopes;
    }
}
