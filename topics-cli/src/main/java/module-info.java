/**
 * The {@code topics} command-line client and load generator: topic admin, write, read and
 * bench commands over the /v0 HTTP API, using Helidon's blocking WebClient (HTTP/1.1, keep-alive).
 * Nothing is exported; {@code bin/topics} runs {@code io.topics.cli.Main}.
 */
module io.topics.cli {
    requires io.topics.api;
    requires info.picocli;
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.databind;
    requires io.helidon.webclient;
    requires HdrHistogram;

    // picocli injects options and parameters into the command objects reflectively
    opens io.topics.cli.command to info.picocli;
}
