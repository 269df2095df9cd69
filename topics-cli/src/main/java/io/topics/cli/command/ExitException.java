package io.topics.cli.command;

/** Ends a command with {@link #status()} after printing {@code error: <message>} to stderr. */
final class ExitException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int status;

    ExitException(int status, String message) {
        super(message);
        this.status = status;
    }

    int status() {
        return status;
    }
}
