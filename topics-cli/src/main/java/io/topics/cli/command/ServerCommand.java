package io.topics.cli.command;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import io.topics.api.Names;
import io.topics.cli.TopicsClient;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * A command that talks to the server. Subclasses return {@link ExitCodes#OK} from
 * {@link #execute()} and throw for everything else: the root maps the exception to the status.
 */
abstract class ServerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    private TopicsClient client;

    @Override
    public final Integer call() throws Exception {
        try {
            return execute();
        } finally {
            if (client != null) {
                client.close();
            }
        }
    }

    abstract int execute() throws Exception;

    RootCommand root() {
        return (RootCommand) spec.root().userObject();
    }

    /** The command's client, made on first use so that bad options fail before any connection. */
    TopicsClient client() {
        if (client == null) {
            client = root().newClient(spec.commandLine());
        }
        return client;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** Thrown for a wrong option value: exit 2 with a hint to --help. */
    ParameterException badInput(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** Checks the name locally (spec §1.4), so a typo is bad input rather than a server error. */
    String topicName(String name) {
        if (!Names.isTopicName(name)) {
            throw badInput("invalid topic name '" + name
                    + "': 1-255 of [A-Za-z0-9._:-], starting with a letter or digit");
        }
        return name;
    }

    void requireAtLeast(String option, long value, long min) {
        if (value < min) {
            throw badInput(option + " must be at least " + min + ", got " + value);
        }
    }

    void requireBetween(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw badInput(option + " must be between " + min + " and " + max + ", got " + value);
        }
    }
}
