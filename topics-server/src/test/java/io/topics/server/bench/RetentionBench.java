package io.topics.server.bench;

import java.nio.file.Files;
import java.time.InstantSource;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.topics.api.storage.RealStorage;
import io.topics.server.engine.CheckpointPolicy;
import io.topics.server.engine.Checkpoints;
import io.topics.server.engine.ConfigPatch;
import io.topics.server.engine.DeleteSelector;
import io.topics.server.engine.DiffQuery;
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
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Record deletes by tag on 1M- and 10M-record topics sealed into segments, and what tombstones and
 * deleted seqs add to a diff. Run with {@code bin/bench-engine RetentionBench}.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g"})
public class RetentionBench {
    /**
     * One or ten million 64-byte records, all sealed (segments of 10 000), record {@code i}
     * tagged {@code user-<i % 10000>:<i % 7>} (one in 10 000, {@code i % 10000 == 7}, {@code rare-<i>} instead): at ten
     * million an exact tag matches ~143 records
     * and the prefix {@code user-<n>:} 1 000, spread over every segment (a tenth of that at one
     * million). Each call deletes a tag not deleted
     * before.
     */
    @State(Scope.Benchmark)
    public static class Tagged {
        @Param({"1000000", "10000000"})
        int records;
        Engine engine;
        int next;
        int nextRare;

        /** The next {@code user-<n>} not deleted before ({@code user-7:*} does not exist: its records are rare). */
        int nextUser() {
            int n = next++;
            return n % 10_000 == 7 ? next++ : n;
        }

        @Setup(Level.Trial)
        public void setUp() throws java.io.IOException {
            engine = new Engine(InstantSource.system(), EngineLimits.DEFAULTS,
                    Map.of("disk", new DiskDurability(), "fsync", new FsyncDurability()), Journal.NONE);
            Checkpoints checkpoints = new Checkpoints(engine, Journal.NONE, RealStorage.INSTANCE,
                    Files.createTempDirectory("topics-bench"), CheckpointPolicy.DEFAULTS, InstantSource.system());
            for (int b = 0; b < records / 1000; b++) {
                WriteBatch w = new WriteBatch(1000, 1000 * EngineBench.PAYLOAD.length);
                for (int i = b * 1000; i < (b + 1) * 1000; i++) {
                    w.add(EngineBench.PAYLOAD, i % 10_000 == 7 ? "rare-" + i : "user-" + (i % 10_000) + ":" + (i % 7));
                }
                engine.append("bench", w);
                if (b % 100 == 99) {
                    checkpoints.runOnce();
                }
            }
            checkpoints.checkpointAll();
            if (engine.memoryBytes() != 0) {
                throw new AssertionError("not all sealed: " + engine.memoryBytes());
            }
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 5)
    @Measurement(iterations = 30)
    public long deleteByTag(Tagged s) {
        int n = s.nextUser();
        return deleted(s.engine.deleteRecords("bench", new DeleteSelector(0, "user-" + n + ":" + (n % 7), false))
                .deleted());
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 5)
    @Measurement(iterations = 30)
    public long deleteByPrefix(Tagged s) {
        int n = 5_000 + s.nextUser();
        return deleted(s.engine.deleteRecords("bench", new DeleteSelector(0, "user-" + n + ":", true)).deleted());
    }

    /** {@code before_seq} deletes of the next 10 000 records (one sealed segment) each. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 5)
    @Measurement(iterations = 30)
    public long deleteBeforeSeq10k(Tagged s) {
        int n = ++s.next;
        return deleted(s.engine.deleteRecords("bench", new DeleteSelector(n * 10_000L + 1, null, false)).deleted());
    }

    /** A tag one record carries, whatever the topic's size: what a delete costs beyond its matches. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 5)
    @Measurement(iterations = 30)
    public long deleteOneRecordByTag(Tagged s) {
        int n = s.nextRare++;
        return deleted(s.engine.deleteRecords("bench", new DeleteSelector(0, "rare-" + (n * 10_000 + 7), false))
                .deleted());
    }

    private static long deleted(long n) {
        if (n == 0) {
            throw new AssertionError("the delete matched nothing: the benchmark measures nothing");
        }
        return n;
    }

    /**
     * One million records in memory, capped at 500 000: the first half evicted. The cursor
     * either sits below the floor (every read carries a tombstone) or at it; {@code everyTenth}
     * deletes one record in ten by tag, so reads skip deleted seqs.
     */
    public abstract static class Capped {
        Engine engine;
        JsonOut out = new JsonOut(1 << 20);
        long from;

        abstract boolean belowFloor();

        boolean everyTenth() {
            return false;
        }

        @Setup(Level.Trial)
        public void setUp() {
            engine = new Engine(InstantSource.system(), EngineLimits.DEFAULTS, EngineBench.CLASSES);
            engine.putTopic("bench", new ConfigPatch(null, null, 500_000L, null, null, null, null, null, null, null,
                    null, null, null, null, null, null, null));
            for (int b = 0; b < 1000; b++) {
                WriteBatch w = new WriteBatch(1000, 1000 * EngineBench.PAYLOAD.length);
                for (int i = 0; i < 1000; i++) {
                    w.add(EngineBench.PAYLOAD, everyTenth() && i % 10 == 3 ? "gone" : null);
                }
                engine.append("bench", w);
            }
            if (everyTenth()) {
                engine.deleteRecords("bench", new DeleteSelector(0, "gone", false));
            }
            from = belowFloor() ? 0 : 500_000;
        }

        long diff() throws InterruptedException {
            out.reset();
            return engine.diff("bench", new DiffQuery(from, 100, 8L << 20, 0, true, true, Set.of()), out)
                    .nextFromSeq();
        }
    }

    @State(Scope.Thread)
    public static class AtFloor extends Capped {
        boolean belowFloor() {
            return false;
        }
    }

    @State(Scope.Thread)
    public static class BelowFloor extends Capped {
        boolean belowFloor() {
            return true;
        }
    }

    @State(Scope.Thread)
    public static class AtFloorTenthDeleted extends Capped {
        boolean belowFloor() {
            return false;
        }

        @Override
        boolean everyTenth() {
            return true;
        }
    }

    // Diff scores are records per second: each call moves 100 records.

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    @OperationsPerInvocation(100)
    public long diff100_atFloor(AtFloor s) throws InterruptedException {
        return s.diff();
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    @OperationsPerInvocation(100)
    public long diff100_withTombstone(BelowFloor s) throws InterruptedException {
        return s.diff();
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    @OperationsPerInvocation(100)
    public long diff100_tenthDeleted(AtFloorTenthDeleted s) throws InterruptedException {
        return s.diff();
    }
}
