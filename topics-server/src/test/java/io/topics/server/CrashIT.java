package io.topics.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spec §3 with real processes: kill -9 the server while concurrent writers append to a
 * {@code disk} and an {@code fsync} topic, restart, and check that every acknowledged seq came
 * back with its payload and that seqs are contiguous. Checkpoints run all the time (tiny
 * segments, a snapshot every 20 ms), so kills also land inside seals, snapshots and WAL
 * truncation. {@code -Dcrash.cycles=N} runs longer.
 */
class CrashIT {
    static final int CYCLES = Integer.getInteger("crash.cycles", 20);
    static final Pattern RECORD = Pattern.compile("\\{\"\\$seq\":(\\d+),\"\\$ts\":\\d+,\"data\":(\\{[^}]*\\})\\}");
    static final Pattern NEXT = Pattern.compile("\"next_from_seq\":(\\d+)");
    static final Pattern HEAD = Pattern.compile("\"head_seq\":(\\d+)");

    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** What the server acknowledged: topic -> seq -> data. */
    final Map<String, ConcurrentSkipListMap<Long, String>> acked = Map.of(
            "d", new ConcurrentSkipListMap<>(), "f", new ConcurrentSkipListMap<>());

    @Test
    void everyAcknowledgedWriteSurvivesKillMinus9() throws Exception {
        Random random = new Random(42);
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            Path portFile = dir.resolve("port");
            Files.deleteIfExists(portFile);
            Process server = launch(portFile);
            try {
                String base = "http://" + LauncherIT.awaitPortFile(portFile, server).trim();
                awaitReady(base);
                if (cycle == 0) {
                    put(base, "d", "{\"durability\":\"disk\"}");
                    put(base, "f", "{\"durable\":true}");
                }
                verify(base, cycle);
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> writers = new ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    String topic = w % 2 == 0 ? "d" : "f";
                    int writer = cycle * 10 + w;
                    writers.add(Thread.ofPlatform().start(() -> write(base, topic, writer, stop)));
                }
                Thread.sleep(150 + random.nextInt(450));
                server.destroyForcibly(); // SIGKILL, mid-write
                server.waitFor(10, TimeUnit.SECONDS);
                stop.set(true);
                for (Thread t : writers) {
                    t.join(10_000);
                }
            } finally {
                server.destroyForcibly();
                server.waitFor(10, TimeUnit.SECONDS);
            }
        }
        Path portFile = dir.resolve("port");
        Files.deleteIfExists(portFile);
        Process last = launch(portFile);
        try {
            String base = "http://" + LauncherIT.awaitPortFile(portFile, last).trim();
            awaitReady(base);
            verify(base, CYCLES);
        } finally {
            last.destroy();
            last.waitFor(10, TimeUnit.SECONDS);
        }
        assertTrue(acked.get("d").size() > 100 && acked.get("f").size() > 100,
                "the test really wrote: " + acked.get("d").size() + " disk, " + acked.get("f").size() + " fsync");
        try (var segs = Files.walk(dir.resolve("data").resolve("segments"));
             var snaps = Files.list(dir.resolve("data").resolve("snapshots"))) {
            assertTrue(segs.anyMatch(p -> p.toString().endsWith(".seg")), "records were sealed into segments");
            assertTrue(snaps.anyMatch(p -> p.toString().endsWith(".snap")), "snapshots were written");
        }
    }

    private Process launch(Path portFile) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(LauncherIT.LAUNCHER.toString());
        pb.environment().put("JAVA_HOME", LauncherIT.JAVA_HOME);
        pb.environment().putAll(Map.of("TOPICS_PORT", "0", "TOPICS_PORT_FILE", portFile.toString(),
                "TOPICS_DATA_DIR", dir.resolve("data").toString(), "TOPICS_LOG", "warn",
                // seal and snapshot all the time, so kills land inside checkpoints too
                "TOPICS_SEGMENT_MAX_EVENTS", "40", "TOPICS_SNAPSHOT_INTERVAL_MS", "20"));
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()));
        return pb.start();
    }

    /** Appends batches of 5 until stopped or the server dies; remembers what was acknowledged. */
    private void write(String base, String topic, int writer, AtomicBoolean stop) {
        for (int i = 0; !stop.get(); i++) {
            StringBuilder body = new StringBuilder("{\"records\":[");
            List<String> datas = new ArrayList<>();
            for (int r = 0; r < 5; r++) {
                String data = "{\"w\":" + writer + ",\"i\":" + (i * 5 + r) + "}";
                datas.add(data);
                body.append(r == 0 ? "" : ",").append("{\"data\":").append(data).append('}');
            }
            body.append("]}");
            try {
                HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(base + "/v0/topics/" + topic))
                        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (res.statusCode() != 200 && res.statusCode() != 201) {
                    return;
                }
                Matcher m = Pattern.compile("\"first_seq\":(\\d+)").matcher(res.body());
                assertTrue(m.find(), res.body());
                long first = Long.parseLong(m.group(1));
                for (int r = 0; r < 5; r++) {
                    acked.get(topic).put(first + r, datas.get(r));
                }
            } catch (IOException | InterruptedException e) {
                return; // the server was killed under us: this batch was never acknowledged
            }
        }
    }

    /** Reads both topics from the start: contiguous seqs, and every acknowledged payload intact. */
    private void verify(String base, int cycle) throws Exception {
        for (String topic : List.of("d", "f")) {
            Map<Long, String> seen = new ConcurrentHashMap<>();
            long cursor = 0;
            long head;
            do {
                String body = post(base, "/v0/topics/" + topic + "/diff", "{\"from_seq\":" + cursor + ",\"limit\":1000}");
                Matcher r = RECORD.matcher(body);
                while (r.find()) {
                    seen.put(Long.parseLong(r.group(1)), r.group(2));
                }
                Matcher n = NEXT.matcher(body);
                Matcher h = HEAD.matcher(body);
                assertTrue(n.find() && h.find(), body);
                cursor = Long.parseLong(n.group(1));
                head = Long.parseLong(h.group(1));
            } while (cursor < head);
            for (long s = 1; s <= head; s++) {
                assertTrue(seen.containsKey(s), "cycle " + cycle + ": " + topic + " seq " + s + " missing below head " + head);
            }
            for (Map.Entry<Long, String> a : acked.get(topic).entrySet()) {
                assertEquals(a.getValue(), seen.get(a.getKey()),
                        "cycle " + cycle + ": acknowledged " + topic + " seq " + a.getKey() + " came back wrong");
            }
        }
    }

    private void awaitReady(String base) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(base + "/v0/ready")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(20);
        }
        throw new AssertionError("not ready within 20 s");
    }

    private void put(String base, String topic, String config) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v0/topics/" + topic))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(config)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(r.statusCode() == 201 || r.statusCode() == 200, r.body());
    }

    private String post(String base, String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }
}
