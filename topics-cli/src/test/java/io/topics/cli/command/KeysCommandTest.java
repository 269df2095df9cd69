package io.topics.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** {@code topics keys generate}: a fresh 32-byte key and its TOPICS_API_KEYS entry (spec §14). */
class KeysCommandTest {
    final Cli cli = new Cli(Map.of());

    /** The two lines: TOPICS_TOKEN=key and TOPICS_API_KEYS=entry. */
    List<String> generate(String... options) {
        String[] args = new String[options.length + 2];
        args[0] = "keys";
        args[1] = "generate";
        System.arraycopy(options, 0, args, 2, options.length);
        Cli.Run run = cli.run(args);
        assertEquals(0, run.exit(), run.err());
        List<String> lines = run.out().lines().toList();
        assertEquals(2, lines.size(), run.out());
        assertTrue(lines.get(0).startsWith("TOPICS_TOKEN="), lines.get(0));
        assertTrue(lines.get(1).startsWith("TOPICS_API_KEYS="), lines.get(1));
        return List.of(lines.get(0).substring("TOPICS_TOKEN=".length()),
                lines.get(1).substring("TOPICS_API_KEYS=".length()));
    }

    @Test
    void aKeyIs32RandomBytesInBase64urlAndFullAccessByDefault() {
        List<String> one = generate();
        String key = one.get(0);
        assertTrue(key.matches("[A-Za-z0-9_-]{43}"), key);
        assertEquals(32, Base64.getUrlDecoder().decode(key).length);
        assertEquals(key, one.get(1), "no scopes, no prefixes: the bare key");
        assertNotEquals(key, generate().get(0));
    }

    @Test
    void scopesAndPrefixesMakeTheEntry() {
        List<String> k = generate("--scopes", "r+w", "--scopes", "delete", "--prefixes", "tenant42:,shared.");
        assertEquals(k.get(0) + ":read+write+delete:tenant42:|shared.", k.get(1));
        k = generate("--scopes", "rw");
        assertEquals(k.get(0) + ":read+write", k.get(1));
        k = generate("--scopes", "R+W", "--prefixes", "tenant42:|shared.");
        assertEquals(k.get(0) + ":read+write:tenant42:|shared.", k.get(1), "SECURITY.md's form");
        k = generate("--prefixes", "tenant42:");
        assertEquals(k.get(0) + "::tenant42:", k.get(1), "all scopes, prefix-restricted");
        k = generate("--scopes", "read,write,delete,admin", "--prefixes", "a");
        assertEquals(k.get(0) + "::a", k.get(1), "all four scopes are the empty field");
    }

    @Test
    void anUnknownScopeOrABadPrefixIsBadInput() {
        Cli.Run run = cli.run("keys", "generate", "--scopes", "read+sudo");
        assertEquals(ExitCodes.BAD_INPUT, run.exit());
        assertTrue(run.err().contains("unknown scope \"sudo\""), run.err());
        assertEquals("", run.out(), "no key printed");
        run = cli.run("keys", "generate", "--prefixes", "a>b");
        assertEquals(ExitCodes.BAD_INPUT, run.exit());
        assertTrue(run.err().contains("invalid prefix 'a>b'"), run.err());
    }
}
