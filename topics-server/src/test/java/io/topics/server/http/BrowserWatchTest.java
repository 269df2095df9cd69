package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watch in a real browser (issue 5): headless Chromium's {@code EventSource} on topics a
 * and b gets the backlog and live records; then its connection drops with frames on the way
 * that it never got, records are written while it is away, and its automatic reconnect, which
 * carries {@code Last-Event-ID}, gets the rest: every record exactly once, in order per topic.
 * The page and the relay in front of the server are {@link BrowserFront}.
 */
class BrowserWatchTest {
    private static final long WAIT_MS = 30_000;
    private static final List<String> FLAGS = List.of("--headless", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-quic");

    @TempDir
    Path dir;
    ServerFixture srv;
    BrowserFront front;
    Process chromium;
    final Map<String, Long> written = new TreeMap<>(); // topic → its head
    final List<Map<String, Object>> seen = new ArrayList<>(); // the page's reports so far

    @BeforeEach
    void start() throws Exception {
        srv = new ServerFixture(dir.resolve("data"), Map.of());
        front = new BrowserFront(srv.base);
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (chromium != null) {
                List<ProcessHandle> all = chromium.descendants().toList(); // listed while the parent still holds them
                chromium.destroyForcibly();
                all.forEach(ProcessHandle::destroyForcibly);
                chromium.waitFor(10, TimeUnit.SECONDS);
                for (ProcessHandle p : all) {
                    p.onExit().get(10, TimeUnit.SECONDS); // before @TempDir deletes its profile
                }
            }
        } finally {
            try {
                front.close();
            } finally {
                srv.close();
            }
        }
    }

    @Test
    void everyRecordArrivesOnceAcrossADroppedConnection() throws Exception {
        write("a", 3);
        write("b", 2);
        launchChromium();
        awaitRecords("the backlog");
        write("a", 2);
        write("b", 1);
        awaitRecords("the live records");

        String lastSeen = (String) seen.stream().filter(r -> "record".equals(r.get("type"))).toList().getLast()
                .get("lastEventId");
        front.hold(); // what the server sends now is lost on the way, after its cursors moved past it
        write("a", 1);
        write("b", 2);
        await(() -> sent("a") && sent("b"), "the server to send the records that will be lost");
        front.cut();
        write("a", 2); // while the page is away: EventSource comes back after the stream's retry: 2000
        write("b", 2);
        awaitRecords("the records after the reconnect");

        assertEquals(2, front.streams.size(), "one stream, then one reconnect" + context());
        assertEquals(lastSeen, front.streams.get(1).get("Last-Event-ID"),
                "the reconnect says which event the page got last" + context());
        for (Map.Entry<String, Long> t : written.entrySet()) {
            assertEquals(LongStream.rangeClosed(1, t.getValue()).boxed().toList(), received(t.getKey()),
                    "topic " + t.getKey() + ": every record once, in order" + context());
        }
    }

    private void launchChromium() throws Exception {
        String exe = System.getenv().getOrDefault("TOPICS_CHROMIUM", "/usr/bin/chromium");
        if (!Files.isExecutable(Path.of(exe))) {
            fail("no Chromium at " + exe + ": run bin/test, which installs Debian's chromium (or set TOPICS_CHROMIUM)");
        }
        List<String> command = new ArrayList<>(List.of(exe));
        command.addAll(FLAGS);
        command.add("--user-data-dir=" + dir.resolve("profile")); // a fresh profile each run
        command.add(front.url());
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(Redirect.DISCARD).redirectError(dir.resolve("chromium.log").toFile());
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        pb.environment().put("TMPDIR", tmp.toString()); // what a killed Chromium leaves in TMPDIR goes with @TempDir
        chromium = pb.start();
    }

    private void write(String topic, int records) {
        StringBuilder body = new StringBuilder("{\"records\":[");
        for (int i = 0; i < records; i++) {
            body.append(i == 0 ? "" : ",").append("{\"data\":{\"n\":").append(i).append("}}");
        }
        ServerFixture.Reply r = srv.json("POST", "/v0/topics/" + topic, body.append("]}").toString());
        assertTrue(r.status() == 200 || r.status() == 201, r.body()); // 201: the first write created it
        written.merge(topic, (long) records, Long::sum);
    }

    /** The seqs the page got on {@code topic}, in the order it got them. */
    private List<Long> received(String topic) {
        List<Long> seqs = new ArrayList<>();
        for (Map<String, Object> r : seen) {
            if ("record".equals(r.get("type")) && topic.equals(r.get("topic"))) {
                ((List<?>) r.get("seqs")).forEach(s -> seqs.add((Long) s));
            }
        }
        return seqs;
    }

    /** Whether the server sent {@code topic}'s records up to its head on the current stream. */
    private boolean sent(String topic) {
        return front.streamed().lines().anyMatch(l -> l.startsWith("data: {\"topic\":\"" + topic + "\"")
                && l.endsWith("\"to_seq\":" + written.get(topic) + "}"));
    }

    /** Until the page got every topic's head record (more than that is left to the caller's asserts). */
    private void awaitRecords(String what) throws InterruptedException {
        await(() -> written.entrySet().stream().allMatch(t -> received(t.getKey()).contains(t.getValue())),
                "the page to get " + what);
    }

    /** Reads the page's reports until {@code done}; fails after {@value #WAIT_MS} ms. */
    private void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (!done.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("waited " + WAIT_MS / 1000 + " s for " + what + context());
            }
            Map<String, Object> r = front.reports.poll(100, TimeUnit.MILLISECONDS);
            if (r != null) {
                seen.add(r);
                for (String topic : written.keySet()) { // a repeat fails now, not after the wait
                    List<Long> seqs = received(topic);
                    for (int i = 1; i < seqs.size(); i++) {
                        assertTrue(seqs.get(i) > seqs.get(i - 1),
                                "topic " + topic + " went back or repeated" + context());
                    }
                }
            }
        }
    }

    /** For failure messages: what the page reported, the streams it opened, and Chromium's last words. */
    private String context() {
        String log;
        try {
            List<String> lines = Files.readAllLines(dir.resolve("chromium.log")).stream()
                    .filter(l -> !l.contains(":ERROR:dbus/")).toList(); // no system bus here: noise
            log = String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (java.io.IOException e) {
            log = "(no log: " + e + ")";
        }
        return "\nwritten: " + written + "\npage reports: " + seen + "\nthe streams' Last-Event-IDs: "
                + front.streams.stream().map(h -> h.getOrDefault("Last-Event-ID", "(none)")).toList()
                + "\nchromium stderr (tail):\n" + log;
    }
}
