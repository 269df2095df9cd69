package io.topics.cli.command;

/** The statuses {@code topics} exits with. */
final class ExitCodes {
    static final int OK = 0;
    /** The server answered with an error, could not be reached, or the run failed. */
    static final int ERROR = 1;
    /** The command line or the input records were wrong; nothing was sent for the bad part. */
    static final int BAD_INPUT = 2;

    private ExitCodes() {
    }
}
