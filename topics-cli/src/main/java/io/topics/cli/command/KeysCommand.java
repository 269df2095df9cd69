package io.topics.cli.command;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

import io.topics.api.Names;
import io.topics.api.spi.auth.Scope;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code topics keys}: API keys for the server's {@code TOPICS_API_KEYS} (spec §14). */
@Command(name = "keys", description = "API keys for TOPICS_API_KEYS.", subcommands = KeysCommand.Generate.class)
final class KeysCommand {

    /**
     * {@code topics keys generate}: a new key, 32 bytes from a CSPRNG in base64url, and the
     * server's entry for it. Talks to no server; the key is printed once and kept nowhere.
     */
    @Command(name = "generate", description = {
            "Prints a new random API key (32 bytes from a CSPRNG, base64url) and its TOPICS_API_KEYS entry, as",
            "  TOPICS_TOKEN=<key>          (for clients: the CLI reads it from the environment)",
            "  TOPICS_API_KEYS=<entry>     (for the server; join several entries with commas)"})
    static final class Generate implements Callable<Integer> {
        private static final SecureRandom RANDOM = new SecureRandom();

        @Spec
        CommandSpec spec;

        @Option(names = "--scopes", paramLabel = "SCOPES", split = ",",
                description = "Scopes the key gets: read, write, delete, admin (or r, w, rw, d, del, a); "
                        + "comma- or +-separated, repeatable. Default: all.")
        List<String> scopes = new ArrayList<>();

        @Option(names = "--prefixes", paramLabel = "PREFIXES", split = "[,|]",
                description = "Topic-name prefixes the key may touch (e.g. tenant42:); separated by , or |, "
                        + "repeatable. Default: every name.")
        List<String> prefixes = new ArrayList<>();

        @Override
        public Integer call() {
            Set<Scope> granted = EnumSet.noneOf(Scope.class);
            try {
                for (String s : scopes) {
                    granted.addAll(Scope.parse(s));
                }
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            for (String p : prefixes) {
                if (!Names.isTopicName(p)) { // every start of a valid name is one itself
                    throw new ParameterException(spec.commandLine(), "invalid prefix '" + p
                            + "': the start of a topic name, of [A-Za-z0-9._:-] from a letter or digit");
                }
            }
            byte[] secret = new byte[32];
            RANDOM.nextBytes(secret);
            String key = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
            java.util.Arrays.fill(secret, (byte) 0);
            spec.commandLine().getOut().println("TOPICS_TOKEN=" + key);
            spec.commandLine().getOut().println("TOPICS_API_KEYS=" + entry(key, granted, prefixes));
            return ExitCodes.OK;
        }

        /** {@code key}, {@code key:scopes}, {@code key::prefixes} or {@code key:scopes:prefixes}, shortest first. */
        static String entry(String key, Set<Scope> scopes, List<String> prefixes) {
            boolean all = scopes.isEmpty() || scopes.equals(EnumSet.allOf(Scope.class));
            String scopeField = all ? "" : String.join("+", scopes.stream().map(Scope::token).toList());
            if (prefixes.isEmpty()) {
                return all ? key : key + ":" + scopeField;
            }
            return key + ":" + scopeField + ":" + String.join("|", prefixes);
        }
    }
}
