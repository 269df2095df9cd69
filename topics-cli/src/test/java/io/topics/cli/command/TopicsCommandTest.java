package io.topics.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import io.topics.cli.Json;
import io.topics.cli.command.TestingTopicsServer.Reply;
import io.topics.cli.command.TestingTopicsServer.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TopicsCommandTest {
    private static final String CONFIG = "{\"type\":\"log\",\"ttl_ms\":0,\"cap_records\":0,\"cap_bytes\":0,"
            + "\"discard\":\"old\",\"durable\":true,\"durability\":\"fsync\",\"priority\":null}";

    private TestingTopicsServer server;
    private Cli cli;

    @BeforeEach
    void start() throws Exception {
        server = new TestingTopicsServer();
        cli = Cli.against(server);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void lsFollowsNextCursorThroughEveryPage() throws Exception {
        server.on("GET", "/v0/topics", r -> r.path().contains("cursor=")
                ? Reply.ok("{\"topics\":[{\"topic\":\"orders:c\",\"head_seq\":0}],\"performance\":{}}")
                : Reply.ok("{\"topics\":[{\"topic\":\"orders:a\",\"head_seq\":2},{\"topic\":\"orders:b\",\"head_seq\":1}],"
                        + "\"next_cursor\":\"eyJhZnRlciI6+b3JkZXJzOmIifQ/=\",\"performance\":{}}"));

        Cli.Run run = cli.run("topics", "ls", "--prefix", "orders:", "--page-size", "2");

        assertEquals(0, run.exit(), run.err());
        assertEquals(List.of("{\"topic\":\"orders:a\",\"head_seq\":2}", "{\"topic\":\"orders:b\",\"head_seq\":1}",
                "{\"topic\":\"orders:c\",\"head_seq\":0}"), run.lines());
        List<Request> sent = server.requests();
        assertEquals(2, sent.size());
        assertEquals("/v0/topics", sent.get(0).pathWithoutQuery());
        assertEquals(Map.of("page_size", "2", "prefix", "orders:"), sent.get(0).query());
        // the cursor is opaque: base64's + / = must arrive as sent, not as a space or a separator
        assertEquals(Map.of("page_size", "2", "prefix", "orders:", "cursor", "eyJhZnRlciI6+b3JkZXJzOmIifQ/="),
                sent.get(1).query());
    }

    @Test
    void lsStopsWhenTheServerRepeatsACursor() {
        server.on("GET", "/v0/topics", Reply.ok("{\"topics\":[],\"next_cursor\":\"c1\"}"));

        Cli.Run run = cli.run("topics", "ls");

        assertEquals(1, run.exit());
        assertTrue(run.err().contains("same next_cursor twice"), run.err());
        assertEquals(2, server.requests().size());
    }

    @Test
    void getPrintsTheStateWithoutTimings() throws Exception {
        server.on("GET", "/v0/topics/orders", Reply.ok("{\"topic\":\"orders\",\"head_seq\":2,\"earliest_seq\":1,"
                + "\"count\":2,\"config\":" + CONFIG + ",\"performance\":{\"server_total_ms\":0.05}}"));

        Cli.Run run = cli.run("topics", "get", "orders");

        assertEquals(0, run.exit(), run.err());
        var printed = Json.parse(run.out());
        assertEquals(2, printed.path("head_seq").asLong());
        assertEquals("fsync", printed.path("config").path("durability").asText());
        assertFalse(printed.has("performance"));
        assertEquals("GET", server.requests().getFirst().method());
    }

    @Test
    void putLaysTheOptionsOverTheRawConfig() throws Exception {
        server.on("PUT", "/v0/topics/orders", new Reply(201, "{\"topic\":\"orders\",\"created\":true,\"config\":" + CONFIG + "}"));

        Cli.Run run = cli.run("topics", "put", "orders", "--config", "{\"discard\":\"reject\",\"ttl_ms\":1}",
                "--durability", "memory", "--ttl-ms", "60000", "--cap-records", "5", "--cap-bytes", "1024", "--type", "log");

        assertEquals(0, run.exit(), run.err());
        assertTrue(Json.parse(run.out()).path("created").asBoolean());
        Request put = server.requests().getFirst();
        assertEquals("PUT", put.method());
        assertEquals("application/json", put.contentType());
        assertEquals(Json.parse("{\"discard\":\"reject\",\"ttl_ms\":60000,\"durability\":\"memory\",\"cap_records\":5,"
                + "\"cap_bytes\":1024,\"type\":\"log\"}"), Json.parse(put.body()));
    }

    @Test
    void putDurableAliasAndEmptyConfig() throws Exception {
        server.on("PUT", "/v0/topics/orders", Reply.ok("{\"topic\":\"orders\",\"created\":false,\"config\":" + CONFIG + "}"));

        assertEquals(0, cli.run("topics", "put", "orders", "--durable").exit());
        assertEquals(0, cli.run("topics", "put", "orders", "--no-durable").exit());
        assertEquals(0, cli.run("topics", "put", "orders").exit());

        List<Request> sent = server.requests();
        assertEquals(Json.parse("{\"durable\":true}"), Json.parse(sent.get(0).body()));
        assertEquals(Json.parse("{\"durable\":false}"), Json.parse(sent.get(1).body()));
        assertEquals(Json.parse("{}"), Json.parse(sent.get(2).body()));
    }

    @Test
    void pruneSendsTheSelectorAndPrintsTheAnswer() throws Exception {
        server.on("POST", "/v0/topics/orders/delete",
                Reply.ok("{\"topic\":\"orders\",\"deleted\":3,\"earliest_seq\":5,\"performance\":{}}"));

        Cli.Run byPrefix = cli.run("topics", "prune", "orders", "--tag-prefix", "user-7:", "--before-seq", "90");
        Cli.Run byTag = cli.run("topics", "prune", "orders", "--tag", "msg-5");
        Cli.Run nothing = cli.run("topics", "prune", "orders");
        Cli.Run both = cli.run("topics", "prune", "orders", "--tag", "a", "--tag-prefix", "b");

        assertEquals(0, byPrefix.exit(), byPrefix.err());
        assertTrue(byPrefix.out().contains("\"deleted\" : 3") && !byPrefix.out().contains("performance"),
                byPrefix.out());
        assertEquals(Json.parse("{\"before_seq\":90,\"match\":[\"tag\",\"Glob\",\"user-7:*\"]}"),
                Json.parse(server.requests().get(0).body()));
        assertEquals(Json.parse("{\"match\":[\"tag\",\"Eq\",\"msg-5\"]}"), Json.parse(server.requests().get(1).body()));
        assertEquals(0, byTag.exit(), byTag.err());
        assertEquals(2, nothing.exit());
        assertTrue(nothing.err().contains("--before-seq, --tag or --tag-prefix"), nothing.err());
        assertEquals(2, both.exit());
        assertEquals(2, server.requests().size(), "nothing sent for a bad command line");
    }

    @Test
    void rmSendsIfEmptyAndReportsTopicNotEmpty() {
        server.on("DELETE", "/v0/topics/orders", r -> r.path().endsWith("?if_empty=true")
                ? Reply.error(409, "topic_not_empty", "topic \\\"orders\\\" holds 7 records")
                : Reply.ok("{\"topic\":\"orders\",\"deleted\":true,\"routers_removed\":[]}"));

        Cli.Run refused = cli.run("topics", "rm", "orders", "--if-empty");
        Cli.Run deleted = cli.run("topics", "rm", "orders");

        assertEquals(1, refused.exit());
        assertEquals("error: topic_not_empty: topic \"orders\" holds 7 records", refused.err().strip());
        assertEquals("", refused.out());
        assertEquals(0, deleted.exit(), deleted.err());
        assertTrue(deleted.out().contains("\"deleted\" : true"), deleted.out());
        assertEquals("/v0/topics/orders", server.requests().get(1).path());
    }

    @Test
    void serverErrorsPrintCodeAndMessageAndExit1() {
        Cli.Run run = cli.run("topics", "get", "jobs");

        assertEquals(1, run.exit());
        assertEquals("error: not_found: no route /v0/topics/jobs", run.err().strip());
    }

    @Test
    void anErrorBodyThatIsNotJsonKeepsTheStatus() {
        server.on("GET", "/v0/topics/jobs", new Reply(502, "Bad gateway"));

        Cli.Run run = cli.run("topics", "get", "jobs");

        assertEquals(1, run.exit());
        assertEquals("error: http_502: Bad gateway", run.err().strip());
    }

    @Test
    void tokenComesFromTheEnvironmentOrTheOption() {
        server.on("GET", "/v0/topics/t", Reply.ok("{\"topic\":\"t\"}"));
        Cli withKey = new Cli(Map.of("TOPICS", server.url(), "TOPICS_TOKEN", "env-key"));

        assertEquals(0, withKey.run("topics", "get", "t").exit());
        assertEquals(0, withKey.run("topics", "get", "t", "--token", "flag-key").exit());
        assertEquals(0, cli.run("topics", "get", "t").exit());

        List<Request> sent = server.requests();
        assertEquals("Bearer env-key", sent.get(0).authorization());
        assertEquals("Bearer flag-key", sent.get(1).authorization());
        assertNull(sent.get(2).authorization());
    }

    @Test
    void urlOptionWinsOverTopicsAndTakesHostPort() {
        server.on("GET", "/v0/topics/t", Reply.ok("{\"topic\":\"t\"}"));
        Cli elsewhere = new Cli(Map.of("TOPICS", "http://127.0.0.1:1"));

        assertEquals(0, elsewhere.run("--url", server.address(), "topics", "get", "t").exit());
        assertEquals(0, elsewhere.run("topics", "get", "t", "--url", server.url() + "/").exit());
        assertEquals(2, server.requests().size());
    }

    @Test
    void unreachableServerExits1() {
        Cli.Run run = new Cli(Map.of("TOPICS", "http://127.0.0.1:1")).run("topics", "get", "t");

        assertEquals(1, run.exit());
        assertTrue(run.err().startsWith("error: cannot connect to http://127.0.0.1:1"), run.err());
    }

    @Test
    void unknownHostExits1() {
        Cli.Run run = new Cli(Map.of("TOPICS", "http://no-such-host.invalid:4000")).run("topics", "get", "t");

        assertEquals(1, run.exit());
        assertEquals("error: cannot connect to http://no-such-host.invalid:4000: unknown host no-such-host.invalid\n",
                run.err());
    }

    @Test
    void badInputExits2WithoutSendingAnything() {
        assertBadInput("invalid topic name '.hidden'", "topics", "get", ".hidden");
        assertBadInput("invalid topic name 'a/b'", "topics", "rm", "a/b");
        assertBadInput("--config is not JSON", "topics", "put", "t", "--config", "{nope");
        assertBadInput("--config must be a JSON object", "topics", "put", "t", "--config", "[1]");
        assertBadInput("--ttl-ms must be at least 0", "topics", "put", "t", "--ttl-ms", "-1");
        assertBadInput("--type must be log or queue", "topics", "put", "t", "--type", "stream");
        assertBadInput("Invalid value for option '--cap-records'", "topics", "put", "t", "--cap-records", "many");
        assertBadInput("--page-size must be between 1 and 1000", "topics", "ls", "--page-size", "0");
        assertBadInput("Unknown option: '--colour'", "topics", "ls", "--colour");
        assertBadInput("Missing required subcommand", "topics");
        assertBadInput("Missing required subcommand");
        assertBadInput("Missing required parameter: 'TOPIC'", "topics", "get");
        assertBadInput("--url must look like http://host:port", "--url", "ftp://h:1", "topics", "get", "t");
        assertEquals(List.of(), server.requests());
    }

    @Test
    void helpAndVersion() {
        Cli.Run help = cli.run("--help");
        Cli.Run subHelp = cli.run("topics", "put", "--help");
        Cli.Run version = cli.run("--version");

        assertEquals(0, help.exit());
        assertTrue(help.out().contains("Usage: topics"), help.out());
        assertTrue(help.out().contains("bench"), help.out());
        assertEquals(0, subHelp.exit());
        assertTrue(subHelp.out().contains("--durability=CLASS"), subHelp.out());
        assertEquals(0, version.exit());
        assertTrue(version.out().startsWith("topics "), version.out());
    }

    private void assertBadInput(String message, String... args) {
        Cli.Run run = cli.run(args);
        assertEquals(2, run.exit(), String.join(" ", args) + " -> " + run.err());
        assertTrue(run.err().startsWith("error: " + message), run.err());
    }
}
