package io.topics.api;

/** The name rules of spec §1.4. Names never reach the file system; they are only validated. */
public final class Names {
    /** Longest topic or router name, in bytes (names are ASCII, so also in chars). */
    public static final int MAX_LENGTH = 255;

    private Names() {
    }

    /** {@code ^[A-Za-z0-9][A-Za-z0-9._:-]{0,254}$}. */
    public static boolean isTopicName(String name) {
        return matches(name, false);
    }

    /** The topic charset plus {@code >}, so the default {@code "<source>-><dest>"} is legal. */
    public static boolean isRouterName(String name) {
        return matches(name, true);
    }

    /** Throws {@code 400 invalid_request} unless {@code name} is a valid topic name. */
    public static String requireTopicName(String name) {
        if (!isTopicName(name)) {
            throw TopicsException.invalid("invalid topic name \"" + printable(name)
                    + "\": 1-255 of [A-Za-z0-9._:-], starting with a letter or digit");
        }
        return name;
    }

    private static boolean matches(String name, boolean allowArrow) {
        if (name == null || name.isEmpty() || name.length() > MAX_LENGTH || !isAlnum(name.charAt(0))) {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(isAlnum(c) || c == '.' || c == '_' || c == ':' || c == '-' || (allowArrow && c == '>'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static String printable(String name) {
        if (name == null) {
            return "";
        }
        String s = name.length() > 64 ? name.substring(0, 64) + "..." : name;
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }
}
