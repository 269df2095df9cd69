package io.topics.cli.command;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Runs {@code topics} in this JVM, as {@code bin/topics} would, and captures what it printed. */
final class Cli {
    record Run(int exit, String out, String err) {
        /** stdout split into lines, without the trailing empty one. */
        java.util.List<String> lines() {
            return out.isEmpty() ? java.util.List.of() : java.util.List.of(out.split("\\R"));
        }
    }

    private final Map<String, String> env;

    Cli(Map<String, String> env) {
        this.env = env;
    }

    /** A CLI whose {@code $TOPICS} points at {@code server}. */
    static Cli against(TestingTopicsServer server) {
        return new Cli(Map.of("TOPICS", server.url()));
    }

    Run run(String... args) {
        return runWithStdin("", args);
    }

    Run runWithStdin(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = RootCommand.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(out), new PrintWriter(err), env);
        return new Run(exit, out.toString(), err.toString());
    }
}
