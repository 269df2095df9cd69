package io.topics.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.topics.cli.Json;
import io.topics.cli.command.TestingTopicsServer.Reply;
import io.topics.cli.command.TestingTopicsServer.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteCommandTest {
    private TestingTopicsServer server;
    private Cli cli;
    /** The fake topic's head; each write appends after it, as the server does. */
    private final AtomicLong head = new AtomicLong();

    @BeforeEach
    void start() throws Exception {
        server = new TestingTopicsServer();
        server.on("POST", "/v0/topics/orders", this::append);
        cli = Cli.against(server);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Reply append(Request r) throws Exception {
        int n = Json.parse(r.body()).path("records").size();
        long first = head.get() + 1;
        long last = head.addAndGet(n);
        StringBuilder seqs = new StringBuilder();
        for (long s = first; s <= last; s++) {
            seqs.append(s == first ? "" : ",").append(s);
        }
        return Reply.ok("{\"topic\":\"orders\",\"first_seq\":" + first + ",\"last_seq\":" + last + ",\"seqs\":[" + seqs
                + "],\"head_seq\":" + last + ",\"count\":" + n + ",\"created\":false,\"deduped\":false}");
    }

    @Test
    void argumentsAreTheDataOfOneBatch() throws Exception {
        Cli.Run run = cli.run("write", "orders", "{\"sku\":\"A1\",\"qty\":1}", "42", "\"text\"", "--tag", "order-7731");

        assertEquals(0, run.exit(), run.err());
        assertEquals("wrote 3 records to orders: seqs 1..3", run.out().strip());
        List<Request> sent = server.requests();
        assertEquals(1, sent.size());
        assertEquals("application/json", sent.getFirst().contentType());
        assertEquals(Json.parse("{\"records\":[{\"data\":{\"sku\":\"A1\",\"qty\":1},\"tag\":\"order-7731\"},"
                + "{\"data\":42,\"tag\":\"order-7731\"},{\"data\":\"text\",\"tag\":\"order-7731\"}]}"),
                Json.parse(sent.getFirst().body()));
    }

    @Test
    void stdinLinesAreSentInBatchesAndBlankLinesSkipped() throws Exception {
        Cli.Run run = cli.runWithStdin("{\"a\":1}\n\n[1,2]\r\nnull\n  \n\"last\"\n", "write", "orders", "--batch", "3");

        assertEquals(0, run.exit(), run.err());
        assertEquals("wrote 4 records to orders: seqs 1..4", run.out().strip());
        List<Request> sent = server.requests();
        assertEquals(2, sent.size());
        assertEquals(Json.parse("{\"records\":[{\"data\":{\"a\":1}},{\"data\":[1,2]},{\"data\":null}]}"),
                Json.parse(sent.get(0).body()));
        assertEquals(Json.parse("{\"records\":[{\"data\":\"last\"}]}"), Json.parse(sent.get(1).body()));
    }

    @Test
    void numbersAreSentAsWritten() {
        Cli.Run run = cli.run("write", "orders", "1.10", "123456789012345678901234567890", "0.1000000000000000055511151231257827");

        assertEquals(0, run.exit(), run.err());
        assertEquals("{\"records\":[{\"data\":1.10},{\"data\":123456789012345678901234567890},"
                + "{\"data\":0.1000000000000000055511151231257827}]}", server.requests().getFirst().body());
    }

    @Test
    void rangesBrokenByOtherWritersArePrintedApart() {
        server.on("POST", "/v0/topics/orders", r -> {
            head.addAndGet(10); // someone else wrote in between
            return append(r);
        });

        Cli.Run run = cli.run("write", "orders", "1", "2", "3", "--batch", "2");

        assertEquals(0, run.exit(), run.err());
        assertEquals("wrote 3 records to orders: seqs 11..12, 23", run.out().strip());
    }

    @Test
    void oneRecordSaysSeq() {
        Cli.Run run = cli.run("write", "orders", "{}");

        assertEquals("wrote 1 record to orders: seq 1", run.out().strip());
    }

    @Test
    void fileIsReadAsJsonLines(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("records.jsonl");
        Files.writeString(file, "{\"n\":1}\n{\"n\":2}\n");

        Cli.Run run = cli.run("write", "orders", "--file", file.toString());

        assertEquals(0, run.exit(), run.err());
        assertEquals("wrote 2 records to orders: seqs 1..2", run.out().strip());
        assertEquals(2, Json.parse(server.requests().getFirst().body()).path("records").size());
    }

    @Test
    void aLineThatIsNotJsonStopsTheWriteWithStatus2() {
        Cli.Run run = cli.runWithStdin("{\"n\":1}\n{\"n\":\n", "write", "orders");

        assertEquals(2, run.exit());
        assertTrue(run.err().startsWith("error: line 2 is not a JSON value"), run.err());
        assertEquals("", run.out());
        assertEquals(List.of(), server.requests());
    }

    @Test
    void whatLandedBeforeABadLineIsReported() {
        Cli.Run run = cli.runWithStdin("1\n2\n3 4\n", "write", "orders", "--batch", "2");

        assertEquals(2, run.exit());
        assertEquals("wrote 2 records to orders: seqs 1..2", run.out().strip());
        assertTrue(run.err().startsWith("error: line 3 is not a JSON value"), run.err());
        assertEquals(1, server.requests().size());
    }

    @Test
    void serverErrorStopsTheWrite() {
        server.on("POST", "/v0/topics/orders", Reply.error(422, "topic_full", "topic is full"));

        Cli.Run run = cli.run("write", "orders", "1");

        assertEquals(1, run.exit());
        assertEquals("error: topic_full: topic is full", run.err().strip());
    }

    @Test
    void badInputExits2() {
        assertBadInput(cli.runWithStdin("", "write", "orders"), "no records to write");
        assertBadInput(cli.runWithStdin("\n \n", "write", "orders"), "no records to write");
        assertBadInput(cli.run("write", "orders", "1", "--file", "x"), "give records as arguments or with --file, not both");
        assertBadInput(cli.run("write", "orders", "1", "--batch", "0"), "--batch must be between 1 and 10000");
        assertBadInput(cli.run("write", "orders", "1", "--batch", "10001"), "--batch must be between 1 and 10000");
        assertBadInput(cli.run("write", "orders", "1", "nope"), "argument 2 is not a JSON value");
        assertBadInput(cli.run("write", "orders", "--file", "/no/such/file"), "cannot read --file /no/such/file");
        assertBadInput(cli.run("write", "bad name", "1"), "invalid topic name");
        assertEquals(List.of(), server.requests());
    }

    private static void assertBadInput(Cli.Run run, String message) {
        assertEquals(2, run.exit(), run.err());
        assertTrue(run.err().startsWith("error: " + message), run.err());
    }
}
