package io.topics.server.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;

import io.topics.api.storage.Storage;
import io.topics.wal.Frame;
import io.topics.wal.Wal;
import io.topics.wal.WalOptions;
import io.topics.wal.WalReplay;

/**
 * Brings an empty engine back to the state on disk, in the one order that is safe: the newest
 * valid snapshot, then the WAL after it (its torn tails cut), then orphan segments removed, and
 * only then the WAL opened for new writes after the last frame.
 */
public final class Recovery {
    private Recovery() {
    }

    /**
     * @param snapshotLsn where the loaded snapshot stands, -1 without one
     * @param frames      WAL frames read
     * @param problems    what was found damaged or cut, one line each (never silent)
     */
    public record Result(Wal wal, long snapshotLsn, long frames, List<String> problems, Deferred deferred) {
    }

    /**
     * The replay of best-effort ({@code memory}) topics, set aside so they never hold up
     * readiness; until it ran, those topics answer {@code 503}. Run it once, after ready.
     */
    public interface Deferred {
        /** Returns what was found missing, one line each. */
        List<String> run() throws IOException;
    }

    /** Applies frames with {@code apply}, sealing tails now and then so replay stays within the memory budget. */
    private static Consumer<Frame> boundedBy(Checkpoints checkpoints, Consumer<Frame> apply) {
        long[] frames = {0};
        return f -> {
            apply.accept(f);
            if ((++frames[0] & 1023) == 0) {
                try {
                    checkpoints.relieveMemoryDuringReplay();
                } catch (IOException e) {
                    throw new UncheckedIOException("sealing during replay failed", e);
                }
            }
        };
    }

    public static Result run(Storage fs, Path dataDir, Engine engine, Checkpoints checkpoints, WalJournal journal,
                             WalOptions options, InstantSource clock, DoubleConsumer progress) throws IOException {
        Path walDir = dataDir.resolve("wal");
        List<String> problems = new ArrayList<>();
        boolean sameBoot = BootMark.sameBoot(fs, dataDir);
        Checkpoints.Restored snap = checkpoints.restore();
        snap.problems().forEach(p -> problems.add("damaged snapshot: " + p));
        engine.deferBestEffortReplay();
        WalReplay.Result r = WalReplay.replay(fs, walDir, checkpoints.replayFrom(),
                boundedBy(checkpoints, engine::replay), progress);
        if (r.truncatedBelow() > checkpoints.replayFrom()) {
            // the WAL below the mark is gone: only a snapshot starting at or above it can stand for it
            throw new IllegalStateException("the WAL in " + walDir + " was truncated below lsn " + r.truncatedBelow()
                    + (snap.snapshotLsn() < 0 ? ", and no snapshot could be loaded"
                    : ", but the newest snapshot that loads (lsn " + snap.snapshotLsn() + ") needs it from lsn "
                    + checkpoints.replayFrom()) + "; refusing to start rather than serve a shorter log"
                    + (snap.problems().isEmpty() ? "" : " (" + String.join("; ", snap.problems()) + ")"));
        }
        engine.recovered(sameBoot).forEach(p -> problems.add("missing log: " + p));
        r.truncated().forEach(cut -> problems.add("WAL torn tail cut: " + cut));
        checkpoints.recovered().forEach(p -> problems.add("damaged segment: " + p));
        Wal wal = Wal.start(fs, walDir, options, Math.max(r.nextLsn(), snap.snapshotLsn() + 1), clock);
        journal.attach(wal);
        engine.journalLostTails();
        long from = engine.deferredFrom();
        if (from == Long.MAX_VALUE) {
            BootMark.write(fs, dataDir);
        }
        // with topics still to decide, the old mark stays until they are: a kill meanwhile must
        // not let the next start think this boot's power loss never happened
        Deferred deferred = from == Long.MAX_VALUE ? List::of : () -> {
            // the files replay read: the running WAL writes only new ones, and checkpoints keep these
            WalReplay.reread(fs, r, from, boundedBy(checkpoints, engine::replayDeferred));
            List<String> missing = engine.deferredDone();
            BootMark.write(fs, dataDir);
            return missing;
        };
        return new Result(wal, snap.snapshotLsn(), r.frames(), problems, deferred);
    }
}
