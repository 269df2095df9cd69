package io.topics.cli.command;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.Objects;

import io.topics.cli.ApiException;
import io.topics.cli.TopicsClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;

/** {@code topics}: the root command, holding the global options and what the commands share. */
@Command(name = "topics",
        scope = ScopeType.INHERIT, // --help and --version on every subcommand
        mixinStandardHelpOptions = true,
        versionProvider = RootCommand.Version.class,
        description = "Client and load generator for a topics server (the /v0 HTTP API).",
        subcommands = {TopicsCommand.class, WriteCommand.class, ReadCommand.class, BenchCommand.class,
                KeysCommand.class})
public final class RootCommand {
    static final String DEFAULT_URL = "http://127.0.0.1:4000";

    @Option(names = "--url", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "Server base URL (default: $TOPICS, else " + DEFAULT_URL + ").")
    private String url;

    @Option(names = "--token", scope = ScopeType.INHERIT, paramLabel = "KEY",
            description = "API key, sent as a bearer token (default: $TOPICS_TOKEN).")
    private String token;

    private final InputStream stdin;
    private final Map<String, String> env;

    private RootCommand(InputStream stdin, Map<String, String> env) {
        this.stdin = Objects.requireNonNull(stdin, "stdin is null");
        this.env = Map.copyOf(Objects.requireNonNull(env, "env is null"));
    }

    /**
     * Runs one command line in this JVM, as {@code bin/topics} does, and returns its exit status.
     * Output goes to {@code out} and {@code err}; nothing is read from the real environment.
     */
    public static int run(String[] args, InputStream stdin, PrintWriter out, PrintWriter err, Map<String, String> env) {
        CommandLine cli = new CommandLine(new RootCommand(stdin, env));
        cli.setOut(out)
                .setErr(err)
                .setParameterExceptionHandler(RootCommand::badInput)
                .setExecutionExceptionHandler(RootCommand::failed);
        try {
            return cli.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    InputStream stdin() {
        return stdin;
    }

    /** A client for the server the options and environment name. */
    TopicsClient newClient(CommandLine caller) {
        String key = token != null ? token : env.get("TOPICS_TOKEN");
        return new TopicsClient(baseUri(caller), key);
    }

    private URI baseUri(CommandLine caller) {
        String u = url != null ? url : env.getOrDefault("TOPICS", "");
        if (u.isBlank()) {
            u = DEFAULT_URL;
        }
        if (!u.contains("://")) {
            u = "http://" + u; // accept the host:port a server's port file holds
        }
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        try {
            URI uri = new URI(u);
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null
                    || (uri.getRawPath() != null && !uri.getRawPath().isEmpty())) {
                throw new ParameterException(caller, "--url must look like http://host:port, got '" + u + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ParameterException(caller, "--url is not a URL: " + e.getMessage());
        }
    }

    private static int badInput(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("error: " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        return ExitCodes.BAD_INPUT;
    }

    private static int failed(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) throws Exception {
        PrintWriter err = cmd.getErr();
        switch (e) {
            case ExitException x -> {
                err.println("error: " + x.getMessage());
                return x.status();
            }
            case ApiException x -> {
                err.println("error: " + x.code() + ": " + x.getMessage());
                return ExitCodes.ERROR;
            }
            case IOException x -> {
                err.println("error: " + x.getMessage());
                return ExitCodes.ERROR;
            }
            case InterruptedException x -> {
                err.println("error: interrupted");
                Thread.currentThread().interrupt();
                return ExitCodes.ERROR;
            }
            default -> throw e; // a bug: picocli prints the stack trace and exits 1
        }
    }

    /** The module version, which Maven stamps into module-info. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = RootCommand.class.getModule().getDescriptor() == null ? null
                    : RootCommand.class.getModule().getDescriptor().rawVersion().orElse(null);
            return new String[] {"topics " + (v == null ? "(unknown version)" : v)};
        }
    }
}
