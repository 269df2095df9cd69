/** The {@code topics} command-line client and load generator. */
module io.topics.cli {
    requires io.topics.api;
    requires info.picocli;
    requires com.fasterxml.jackson.databind;
    requires java.net.http;
    requires HdrHistogram;

    opens io.topics.cli to info.picocli;
}
