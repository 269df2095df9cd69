package io.topics.server.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.InstantSource;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.topics.api.storage.RealStorage;
import io.topics.server.engine.CheckpointPolicy;
import io.topics.server.engine.Checkpoints;
import io.topics.server.engine.DiffQuery;
import io.topics.server.engine.DiffResult;
import io.topics.server.engine.Engine;
import io.topics.server.engine.EngineLimits;
import io.topics.server.engine.Journal;
import io.topics.server.engine.JsonOut;
import io.topics.server.engine.WriteBatch;
import io.topics.wal.DiskDurability;
import io.topics.wal.FsyncDurability;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Engine append and diff, single thread, 64-byte payloads, in batches of 1, 100 and 1000.
 * Scores are records per second. Run with {@code bin/bench-engine}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g", "-XX:MaxDirectMemorySize=12g"})
public class EngineBench {
    /** Exactly 64 bytes of compact JSON. */
    static final byte[] PAYLOAD = ("{\"p\":\"" + "x".repeat(64 - 8) + "\"}").getBytes(StandardCharsets.US_ASCII);
    static final Set<String> CLASSES = Set.of("ephemeral", "memory", "disk", "fsync");

    static {
        if (PAYLOAD.length != 64) {
            throw new AssertionError(PAYLOAD.length);
        }
    }

    static WriteBatch batchOf(int n) {
        WriteBatch b = new WriteBatch(n, n * PAYLOAD.length);
        for (int i = 0; i < n; i++) {
            b.add(PAYLOAD, null);
        }
        return b;
    }

    /** A fresh engine per iteration keeps the in-memory log from outgrowing the heap. */
    public abstract static class Writer {
        Engine engine;
        WriteBatch records;

        abstract int batch();

        @Setup(Level.Iteration)
        public void setUp() {
            engine = null;
            System.gc(); // release the previous iteration's log outside the measurement
            engine = new Engine(InstantSource.system(), EngineLimits.DEFAULTS, CLASSES);
            records = batchOf(batch());
        }

        long append() {
            return engine.append("bench", records).lastSeq();
        }
    }

    @State(Scope.Thread)
    public static class Writer1 extends Writer {
        int batch() {
            return 1;
        }
    }

    @State(Scope.Thread)
    public static class Writer100 extends Writer {
        int batch() {
            return 100;
        }
    }

    @State(Scope.Thread)
    public static class Writer1000 extends Writer {
        int batch() {
            return 1000;
        }
    }

    /**
     * One million records to read, and a cursor that wraps around: in memory, or (for the
     * sealed readers) all sealed into segment files by a final checkpoint, read through the
     * page cache.
     */
    public abstract static class Reader {
        static final int RECORDS = 1_000_000;
        Engine engine;
        JsonOut out;
        long cursor;

        abstract int batch();

        boolean sealed() {
            return false;
        }

        @Setup(Level.Trial)
        public void setUp() throws java.io.IOException {
            Checkpoints checkpoints = null;
            if (sealed()) {
                engine = new Engine(InstantSource.system(), EngineLimits.DEFAULTS,
                        Map.of("disk", new DiskDurability(), "fsync", new FsyncDurability()), Journal.NONE);
                checkpoints = new Checkpoints(engine, Journal.NONE, RealStorage.INSTANCE,
                        Files.createTempDirectory("topics-bench"), CheckpointPolicy.DEFAULTS, InstantSource.system());
            } else {
                engine = new Engine(InstantSource.system(), EngineLimits.DEFAULTS, CLASSES);
            }
            WriteBatch b = batchOf(1000);
            for (int i = 0; i < RECORDS / 1000; i++) {
                engine.append("bench", b);
            }
            if (checkpoints != null) {
                checkpoints.checkpointAll();
                if (engine.memoryBytes() != 0) {
                    throw new AssertionError("not all sealed: " + engine.memoryBytes());
                }
            }
            out = new JsonOut(1 << 20);
        }

        long diff() throws InterruptedException {
            out.reset();
            DiffResult r = engine.diff("bench", new DiffQuery(cursor, batch(), 8L << 20, 0, true, true, Set.of()), out);
            cursor = r.caughtUp() ? 0 : r.nextFromSeq();
            return r.nextFromSeq();
        }
    }

    @State(Scope.Thread)
    public static class Reader1 extends Reader {
        int batch() {
            return 1;
        }
    }

    @State(Scope.Thread)
    public static class Reader100 extends Reader {
        int batch() {
            return 100;
        }
    }

    @State(Scope.Thread)
    public static class Reader1000 extends Reader {
        int batch() {
            return 1000;
        }
    }

    @State(Scope.Thread)
    public static class SealedReader100 extends Reader {
        int batch() {
            return 100;
        }

        @Override
        boolean sealed() {
            return true;
        }
    }

    @State(Scope.Thread)
    public static class SealedReader1000 extends Reader {
        int batch() {
            return 1000;
        }

        @Override
        boolean sealed() {
            return true;
        }
    }

    // Scores are records per second: each call moves `batch` records.

    @Benchmark
    @OperationsPerInvocation(1)
    public long append_batch1(Writer1 s) {
        return s.append();
    }

    @Benchmark
    @OperationsPerInvocation(100)
    public long append_batch100(Writer100 s) {
        return s.append();
    }

    @Benchmark
    @OperationsPerInvocation(1000)
    public long append_batch1000(Writer1000 s) {
        return s.append();
    }

    @Benchmark
    @OperationsPerInvocation(1)
    public long diff_batch1(Reader1 s) throws InterruptedException {
        return s.diff();
    }

    @Benchmark
    @OperationsPerInvocation(100)
    public long diff_batch100(Reader100 s) throws InterruptedException {
        return s.diff();
    }

    @Benchmark
    @OperationsPerInvocation(1000)
    public long diff_batch1000(Reader1000 s) throws InterruptedException {
        return s.diff();
    }

    @Benchmark
    @OperationsPerInvocation(100)
    public long sealedDiff_batch100(SealedReader100 s) throws InterruptedException {
        return s.diff();
    }

    @Benchmark
    @OperationsPerInvocation(1000)
    public long sealedDiff_batch1000(SealedReader1000 s) throws InterruptedException {
        return s.diff();
    }
}
