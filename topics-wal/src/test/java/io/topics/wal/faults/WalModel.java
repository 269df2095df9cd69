package io.topics.wal.faults;

import io.topics.api.spi.durability.AckPoint;
import io.topics.testkit.storage.FakeStorage;
import io.topics.testkit.storage.OrderingMonitor;
import io.topics.wal.Frame;
import io.topics.wal.FrameType;
import io.topics.wal.Wal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The oracle: every append the test makes, what became of its future, and where the WAL wrote
 * it; after each recovery {@link #check} compares what replay delivered with what was promised.
 *
 * <p>Every appended payload starts with the append's id (see {@link Layout#payload}), so a
 * replayed frame names the append it claims to be, and {@link TapStorage} reports the lsn and
 * location of every frame the WAL tried to write.
 */
final class WalModel implements TapStorage.Listener {
    /** How the last run ended, which decides what must have survived. */
    enum Stop {
        /** {@code Wal.close()}, no crash: everything acked is there. */
        CLEAN,
        /** {@code Wal.close()}, then a power loss: what close forced is there. */
        CLEAN_THEN_POWER_LOSS,
        /** {@code kill -9}: every write made reached the OS. */
        KILL,
        /** Power loss: only forced bytes (and directory entries) survive, the last write may be torn. */
        POWER_LOSS
    }

    enum State {
        PENDING, ACKED, FAILED, REFUSED,
        /** The test damaged the frame on disk: it may no longer come back. */
        DESTROYED
    }

    static final class Entry {
        final long id;
        final int epoch;
        final int shards;
        final int shard;
        final int recoveries;
        final FrameType type;
        final int flags;
        final long topic;
        final long seq;
        final long ts;
        final byte[] payload;
        final AckPoint ack;
        volatile State state = State.PENDING;
        volatile Throwable error;

        Entry(long id, int epoch, int shards, int recoveries, FrameType type, int flags, long topic, long seq,
              long ts, byte[] payload, AckPoint ack) {
            this.id = id;
            this.epoch = epoch;
            this.shards = shards;
            this.shard = Wal.shardOf(topic, shards);
            this.recoveries = recoveries;
            this.type = type;
            this.flags = flags;
            this.topic = topic;
            this.seq = seq;
            this.ts = ts;
            this.payload = payload;
            this.ack = ack;
        }

        Entry copy() {
            Entry e = new Entry(id, epoch, shards, recoveries, type, flags, topic, seq, ts, payload, ack);
            e.state = state;
            e.error = error;
            return e;
        }

        boolean matches(Seen s) {
            return s.type() == type && s.flags() == flags && s.topic() == topic && s.seq() == seq && s.ts() == ts
                    && s.payload().equals(ByteBuffer.wrap(payload));
        }

        @Override
        public String toString() {
            return "append #" + id + " (" + ack + " " + state + ", topic " + topic + " seq " + seq + ", epoch " + epoch
                    + " shard " + shard + "/" + shards + ")";
        }
    }

    /** A replayed frame, copied out of replay's window. */
    record Seen(long lsn, FrameType type, int flags, long topic, long seq, long ts, ByteBuffer payload) {
        static Seen of(Frame f) {
            ByteBuffer p = f.payload().duplicate();
            byte[] b = new byte[p.remaining()];
            p.get(b);
            return new Seen(f.lsn(), f.type(), f.flags(), f.topicId(), f.seq(), f.ts(), ByteBuffer.wrap(b));
        }

        long id() {
            return payload.remaining() >= 8 ? payload.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(0) : -1;
        }

        @Override
        public String toString() {
            return "frame lsn " + lsn + " " + type + " topic " + topic + " seq " + seq + " (id " + id() + ", "
                    + payload.remaining() + " B)";
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Map<Long, Entry> byId = new ConcurrentHashMap<>();
    private final Map<Long, TapStorage.Loc> located = new ConcurrentHashMap<>();
    private final List<String> problems = new ArrayList<>();
    private final List<Long> epochStart = new ArrayList<>();
    private int shards;
    private int recoveries;
    private Set<Long> lastRecovered = Set.of();
    private long nextId;

    WalModel copy() {
        WalModel m = new WalModel();
        synchronized (this) {
            for (Entry e : entries) {
                Entry c = e.copy();
                m.entries.add(c);
                m.byId.put(c.id, c);
            }
            m.located.putAll(located);
            m.problems.addAll(problems);
            m.epochStart.addAll(epochStart);
            m.shards = shards;
            m.recoveries = recoveries;
            m.lastRecovered = lastRecovered;
            m.nextId = nextId;
        }
        return m;
    }

    synchronized void newEpoch(int shardCount, long startLsn) {
        this.shards = shardCount;
        epochStart.add(startLsn);
    }

    synchronized int epoch() {
        return epochStart.size() - 1;
    }

    synchronized Entry add(FrameType type, int flags, long topic, long seq, long ts, int payloadBytes, AckPoint ack) {
        long id = nextId++;
        Entry e = new Entry(id, epoch(), shards, recoveries, type, flags, topic, seq, ts,
                Layout.payload(id, payloadBytes), ack);
        entries.add(e);
        byId.put(id, e);
        return e;
    }

    synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    Entry entry(long id) {
        return byId.get(id);
    }

    TapStorage.Loc location(long id) {
        return located.get(id);
    }

    @Override
    public void written(long id, TapStorage.Loc loc) {
        if (id >= 0) {
            located.put(id, loc);
        }
    }

    /** The test destroyed this append's frame on disk (media damage): it is no longer required. */
    void destroyed(long id) {
        Entry e = byId.get(id);
        if (e == null) {
            throw new IllegalArgumentException("no append #" + id);
        }
        e.state = State.DESTROYED;
    }

    synchronized void problem(String p) {
        problems.add(p);
    }

    synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    /**
     * The future of {@code e} completed successfully: checks, live, that the WAL kept its
     * promise at that moment. WRITTEN: the frame's bytes are in the file. FORCED: the monitor saw
     * a covering force, and the fake disk would keep the frame through a power loss (which
     * includes the directory entries of its file, its shard and the WAL).
     */
    void acked(Entry e, OrderingMonitor monitor, FakeStorage disk) {
        e.state = State.ACKED;
        if (e.ack != AckPoint.WRITTEN && e.ack != AckPoint.FORCED) {
            return;
        }
        TapStorage.Loc loc = located.get(e.id);
        if (loc == null) {
            problem(e + " acked but never written");
            return;
        }
        byte[] expected = Layout.frame(loc.lsn(), e.type, e.flags, e.topic, e.seq, e.ts, e.payload);
        if (e.ack == AckPoint.FORCED) {
            monitor.markAck(loc.path(), loc.end());
            byte[] durable;
            try {
                durable = disk.durableBytes(loc.path());
            } catch (IllegalArgumentException gone) {
                problem(e + " acked as forced, but " + loc.path() + " would not survive a power loss: " + gone.getMessage());
                return;
            }
            if (!holds(durable, loc, expected)) {
                problem(e + " acked as forced, but its bytes up to " + loc.end() + " of " + loc.path() + " are not durable");
            }
        } else {
            byte[] now;
            try {
                now = disk.bytes(loc.path());
            } catch (IllegalArgumentException gone) {
                problem(e + " acked as written, but " + loc.path() + " is gone");
                return;
            }
            if (!holds(now, loc, expected)) {
                problem(e + " acked as written before its bytes reached " + loc.path());
            }
        }
    }

    private static boolean holds(byte[] file, TapStorage.Loc loc, byte[] expected) {
        return file.length >= loc.end() && expected.length == loc.size()
                && Arrays.equals(file, (int) (loc.end() - loc.size()), (int) loc.end(), expected, 0, expected.length);
    }

    static boolean required(Entry e, Stop stop, boolean walFailed) {
        if (e.state != State.ACKED) {
            return false;
        }
        return switch (e.ack) {
            case FORCED -> true;
            case WRITTEN -> stop == Stop.CLEAN || stop == Stop.KILL || (stop == Stop.CLEAN_THEN_POWER_LOSS && !walFailed);
            case ENQUEUED, IMMEDIATE -> (stop == Stop.CLEAN || stop == Stop.CLEAN_THEN_POWER_LOSS) && !walFailed;
        };
    }

    /**
     * Compares one recovery with the model; returns every violated invariant (empty when none)
     * and, when there is none, makes this recovery the baseline of the next one.
     */
    synchronized List<String> check(List<Seen> frames, long nextLsn, Stop stop, boolean walFailed) {
        List<String> p = new ArrayList<>(problems);
        Map<Long, Seen> present = new HashMap<>();
        long prevLsn = -1;
        Map<Long, Long> lastIdOfTopic = new HashMap<>();
        for (Seen s : frames) {
            if (s.lsn() <= prevLsn) {
                p.add("lsns do not strictly increase: " + s + " after lsn " + prevLsn);
            }
            prevLsn = s.lsn();
            if (s.lsn() >= nextLsn) {
                p.add("replay's nextLsn " + nextLsn + " is not above " + s);
            }
            Entry e = byId.get(s.id());
            if (e == null) {
                p.add("bogus frame (no append made it): " + s);
                continue;
            }
            if (present.put(e.id, s) != null) {
                p.add(e + " delivered twice");
            }
            if (!e.matches(s)) {
                p.add(s + " differs from " + e);
            }
            TapStorage.Loc loc = located.get(e.id);
            if (loc == null) {
                p.add(s + " was never written by the WAL");
            } else if (loc.lsn() != s.lsn()) {
                p.add(s + " was written with lsn " + loc.lsn());
            }
            if (s.lsn() < epochStart.get(e.epoch)) {
                p.add("lsn reused: " + s + " of epoch " + e.epoch + " that started at lsn " + epochStart.get(e.epoch));
            }
            Long prev = lastIdOfTopic.put(e.topic, e.id);
            if (prev != null && prev > e.id) {
                p.add("topic " + e.topic + " out of append order: " + e + " after append #" + prev);
            }
        }
        for (Entry e : entries) {
            boolean here = present.containsKey(e.id);
            if (e.state == State.DESTROYED) {
                continue;
            }
            if (e.recoveries < recoveries) {
                boolean before = lastRecovered.contains(e.id);
                if (before && !here) {
                    p.add(e + " was delivered by the previous recovery and is gone now");
                } else if (!before && here) {
                    p.add(e + " was not delivered by the previous recovery and came back");
                }
            } else if (!here && required(e, stop, walFailed)) {
                p.add(e + " acked, lost after " + stop + (walFailed ? " (the WAL had failed)" : ""));
            }
        }
        Map<List<Integer>, List<Entry>> groups = new HashMap<>();
        for (Entry e : entries) {
            if (located.containsKey(e.id)) {
                groups.computeIfAbsent(List.of(e.epoch, e.shard), k -> new ArrayList<>()).add(e);
            }
        }
        for (List<Entry> group : groups.values()) {
            group.sort(Comparator.comparingLong(e -> located.get(e.id).lsn()));
            Entry missing = null;
            for (Entry e : group) {
                if (e.state == State.DESTROYED) {
                    break; // what follows damage is not promised either
                }
                if (!present.containsKey(e.id)) {
                    missing = missing == null ? e : missing;
                } else if (missing != null) {
                    p.add("not a prefix: " + e + " survived, the earlier " + missing + " of the same shard did not");
                    break;
                }
            }
        }
        if (p.isEmpty()) {
            recoveries++;
            lastRecovered = new HashSet<>(present.keySet());
        }
        return p;
    }

    /** How many of the appends that are required after {@code stop} there are (to show a test is not vacuous). */
    synchronized long requiredCount(Stop stop, boolean walFailed) {
        return entries.stream().filter(e -> e.recoveries == recoveries && required(e, stop, walFailed)).count();
    }

    synchronized Set<Long> lastRecovered() {
        return Set.copyOf(lastRecovered);
    }
}
