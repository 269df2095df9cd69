package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.topics.api.storage.RealStorage;
import io.topics.api.storage.StorageFile;
import io.topics.server.http.ServerFixture.Reply;
import io.topics.testkit.storage.ForwardingStorage;
import io.topics.testkit.storage.ForwardingStorageFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overload (spec §1.7, §19 decision 8): when the disk cannot keep up, writers get
 * {@code 429 throttled} at once instead of queuing without bound, memory stays bounded, and
 * service resumes with the disk; 64 closed-loop connections are queued and served, never
 * throttled.
 */
class OverloadTest {
    @TempDir
    Path dir;
    final StallableDisk disk = new StallableDisk();
    ServerFixture srv;

    @AfterEach
    void stop() throws IOException {
        disk.recover();
        if (srv != null) {
            srv.close();
        }
    }

    @Test
    void aStalledDiskThrottlesWritersAtOnceWithBoundedMemoryAndServiceResumesWithIt() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_WAL_SHARDS", "1", "TOPICS_WAL_QUEUE_BYTES", "262144"), disk);
        assertEquals(201, srv.json("POST", "/v0/topics/t", record(0)).status());
        disk.stall();
        Load load = new Load(srv, 100, "/v0/topics/t", OverloadTest::record);
        load.runFor(1500);
        List<Long> throttledMs = new ArrayList<>(load.throttledMs);
        assertTrue(throttledMs.size() >= 36, "writers past the 64 the queue holds were throttled: " + throttledMs.size());
        long worst = throttledMs.stream().mapToLong(Long::longValue).max().orElse(0);
        assertTrue(worst < 1000, "a throttled write waited " + worst + " ms");
        Reply sample = load.lastThrottled;
        assertEquals("1", sample.raw().headers().firstValue("Retry-After").orElse(""));
        Map<?, ?> detail = (Map<?, ?>) ((Map<?, ?>) sample.json().get("error")).get("detail");
        assertEquals("wal_queue", detail.get("limit"));
        assertTrue(((Number) detail.get("retry_after_ms")).longValue() > 0, sample.body());
        long queued = metric("topics_wal_queue_depth");
        assertTrue(queued <= 64, "frames held in memory for the stalled disk: " + queued);
        assertTrue(load.inFlight.get() <= 64 + 1, "writes waiting for the disk: " + load.inFlight.get());

        disk.recover();
        load.await(10_000); // every write that waited for the disk is answered
        assertEquals(List.of(), load.failures, "besides 200 and 429");
        assertEquals(200, srv.json("POST", "/v0/topics/t", record(1)).status(), "and writes are served again");
        long head = ((Number) srv.send("GET", "/v0/topics/t", null).json().get("head_seq")).longValue();
        assertEquals(1 + load.ok.get() + 1, head, "every 200 appended once, no 429 appended anything");
    }

    @Test
    void aWriteTheStalledDiskHasNotTakenIsAnsweredAfterTheCommitWaitAndLandsWhenTheDiskComesBack()
            throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_COMMIT_WAIT_MS", "500"), disk);
        assertEquals(201, srv.json("POST", "/v0/topics/t", record(0)).status());
        disk.stall();
        long t0 = System.nanoTime();
        Reply stalled = srv.send("POST", "/v0/topics/t", record(1), "Content-Type", "application/json",
                "Idempotency-Key", "k1");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(503, stalled.status(), stalled.body());
        assertTrue(ms >= 500 && ms < 5_000, "answered after " + ms + " ms");
        assertTrue(stalled.body().contains("\"reason\":\"storage_stalled\""), stalled.body());
        Reply early = srv.send("POST", "/v0/topics/t", record(1), "Content-Type", "application/json",
                "Idempotency-Key", "k1"); // the retry the answer asks for, while the disk still stalls
        assertEquals(503, early.status(), early.body());
        assertTrue(early.body().contains("\"reason\":\"storage_stalled\""), "stalled, not failed: " + early.body());
        disk.recover();
        Reply retried = srv.send("POST", "/v0/topics/t", record(1), "Content-Type", "application/json",
                "Idempotency-Key", "k1");
        assertEquals(200, retried.status(), retried.body());
        assertTrue(retried.body().contains("\"first_seq\":2"), "the stalled write landed once: " + retried.body());
        assertEquals(2L, ((Number) srv.send("GET", "/v0/topics/t", null).json().get("head_seq")).longValue());
    }

    @Test
    void writersOfATopicWhoseSeqReservationWaitsForAStalledDiskAreAnsweredInTime() throws Exception {
        srv = new ServerFixture(dir, Map.of("TOPICS_COMMIT_WAIT_MS", "500"), disk);
        assertEquals(201, srv.json("PUT", "/v0/topics/fresh", "{}").status()); // never written: its first write reserves seqs
        disk.stall();
        List<java.util.concurrent.Future<Reply>> writes = new ArrayList<>();
        long t0 = System.nanoTime();
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 20; i++) {
                int n = i;
                writes.add(pool.submit(() -> srv.json("POST", "/v0/topics/fresh", record(n))));
            }
            for (var w : writes) {
                Reply r = w.get(10, TimeUnit.SECONDS); // none hangs on the topic's lock
                assertEquals(503, r.status(), r.body());
                assertTrue(r.body().contains("\"reason\":\"storage_stalled\""), r.body());
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 5_000, "20 writers waited " + ms + " ms in all");
        disk.recover();
        assertEquals(200, srv.json("POST", "/v0/topics/fresh", record(99)).status(), "served again");
    }

    @Test
    void sixtyFourClosedLoopConnectionsOnASlowDiskAreNeverThrottled() throws Exception {
        // a queue bound far below 64 writes: only the 64 frames a shard always takes let them all in
        srv = new ServerFixture(dir, Map.of("TOPICS_WAL_SHARDS", "1", "TOPICS_WAL_QUEUE_BYTES", "1024"), disk);
        assertEquals(201, srv.json("PUT", "/v0/topics/f", "{\"durability\":\"fsync\"}").status());
        disk.slow(3);
        Load load = new Load(srv, 64, "/v0/topics/f", OverloadTest::record);
        load.runFor(1500);
        load.await(10_000);
        assertEquals(List.of(), load.failures);
        assertEquals(0, load.throttledMs.size(), "64 connections with one write each in flight");
        assertTrue(load.ok.get() > 64, "they were served: " + load.ok.get());
    }

    /** A write of one record of about 8 KiB. */
    static String record(int i) {
        return "{\"records\":[{\"data\":{\"i\":" + i + ",\"pad\":\"" + "p".repeat(8000) + "\"}}]}";
    }

    long metric(String name) {
        String text = srv.send("GET", "/v0/metrics", null).body();
        Matcher m = Pattern.compile("(?m)^" + name + " (\\d+)").matcher(text);
        assertTrue(m.find(), name);
        return Long.parseLong(m.group(1));
    }

    /** Closed-loop writers: each sends its next write once its last was answered. */
    static final class Load {
        final ServerFixture srv;
        final List<Thread> writers = new ArrayList<>();
        final ConcurrentLinkedQueue<Long> throttledMs = new ConcurrentLinkedQueue<>();
        final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger ok = new AtomicInteger();
        final AtomicInteger inFlight = new AtomicInteger();
        final int connections;
        final String path;
        final java.util.function.IntFunction<String> body;
        volatile Reply lastThrottled;
        volatile long until;

        Load(ServerFixture srv, int connections, String path, java.util.function.IntFunction<String> body) {
            this.srv = srv;
            this.connections = connections;
            this.path = path;
            this.body = body;
        }

        /** Starts the writers; returns after {@code ms}, while writes that wait for the disk still wait. */
        void runFor(long ms) throws InterruptedException {
            until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
            for (int w = 0; w < connections; w++) {
                int id = w;
                writers.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; System.nanoTime() < until; i++) {
                        long t = System.nanoTime();
                        inFlight.incrementAndGet();
                        Reply r = srv.json("POST", path, body.apply(id * 100_000 + i));
                        inFlight.decrementAndGet();
                        if (r.status() == 200) {
                            ok.incrementAndGet();
                        } else if (r.status() == 429) {
                            throttledMs.add((System.nanoTime() - t) / 1_000_000);
                            lastThrottled = r;
                            sleep(20);
                        } else {
                            failures.add(r.status() + " " + r.body());
                        }
                    }
                }));
            }
            Thread.sleep(ms);
        }

        void await(long ms) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
            for (Thread w : writers) {
                assertTrue(w.join(java.time.Duration.ofNanos(Math.max(1, end - System.nanoTime()))),
                        "a writer is still waiting: " + inFlight.get() + " in flight");
            }
        }

        private static void sleep(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The real disk, whose WAL writes and forces can be made to stall, or to take a while each. */
    static final class StallableDisk extends ForwardingStorage {
        private volatile CountDownLatch stalled;
        private volatile long delayMs;

        StallableDisk() {
            super(RealStorage.INSTANCE);
        }

        void stall() {
            stalled = new CountDownLatch(1);
        }

        void recover() {
            CountDownLatch s = stalled;
            stalled = null;
            delayMs = 0;
            if (s != null) {
                s.countDown();
            }
        }

        void slow(long ms) {
            delayMs = ms;
        }

        @Override
        public StorageFile open(Path file, boolean create) throws IOException {
            StorageFile f = super.open(file, create);
            if (!file.toString().contains("/wal/")) {
                return f;
            }
            return new ForwardingStorageFile(f) {
                @Override
                public void write(ByteBuffer src, long position) throws IOException {
                    pause();
                    super.write(src, position);
                }

                @Override
                public void force() throws IOException {
                    pause();
                    super.force();
                }
            };
        }

        private void pause() throws IOException {
            try {
                CountDownLatch s = stalled;
                if (s != null) {
                    s.await();
                }
                long d = delayMs;
                if (d > 0) {
                    Thread.sleep(d);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("the stalled disk was interrupted");
            }
        }
    }
}
