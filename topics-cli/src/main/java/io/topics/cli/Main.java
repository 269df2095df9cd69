package io.topics.cli;

/** Placeholder entry point replaced by the CLI commands. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(0);
    }
}
