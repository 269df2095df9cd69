package io.topics.server.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import io.topics.segments.Segment;
import io.topics.segments.SegmentInfo;

/**
 * The records of one topic instance: sealed {@link Segment} files on disk for older records,
 * then the hot tail in memory as columnar chunks (parallel primitive arrays plus one byte slab
 * each), so a record costs no object of its own and a read is a slice copy.
 *
 * <p>One writer at a time (the caller holds the topic's lock) fills slots and then publishes
 * them by moving the volatile {@link #head}. Readers never lock: they read {@code head}, then
 * the chunks, then the segments, and only touch seqs at or below the head. A checkpoint seals
 * published records into segments and then drops the chunks they cover, installing the
 * segments first: a reader that sees the shorter chunk array also sees the segments.
 */
final class TopicLog {
    private static final int MIN_CHUNK_RECORDS = 16;
    private static final int MAX_CHUNK_RECORDS = 4096;
    /** The largest slab, unless one record alone is bigger. */
    private static final int MAX_SLAB_BYTES = 16 << 20;
    private static final Chunk[] NO_CHUNKS = new Chunk[0];
    private static final Segment[] NO_SEGMENTS = new Segment[0];
    /** Deleted or filtered records one read crosses at most before it answers with what it has. */
    static final int MAX_SKIPPED = 1 << 20;
    /** {@link #lowTs} before anyone looked up the timestamp of the first live record. */
    private static final long UNKNOWN_TS = Long.MIN_VALUE;

    private volatile Chunk[] chunks = NO_CHUNKS;
    private volatile Segment[] segments = NO_SEGMENTS;
    // written under the topic lock by checkpoints: seqs up to here are in segments
    private volatile long sealedThrough;
    // published payload bytes in chunks: publishes add (on the committing thread), seals subtract
    private final AtomicLong memoryBytes = new AtomicLong();
    private long filled; // writer side, under the topic lock
    private boolean gap; // the next fill starts a new chunk: seqs jumped
    private volatile long head;

    // What readers see of retention: live records and bytes of the published log, the first
    // live seq, and the highest seqs lost to caps and to TTL. A publish applies the eviction its
    // batch caused; TTL expiry and deletes apply at once. Floors and earliest only ever rise.
    private final AtomicLong liveCount = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicLong earliest = new AtomicLong(1);
    private final AtomicLong capThrough = new AtomicLong();
    private final AtomicLong ttlThrough = new AtomicLong();
    /**
     * Seq ranges a crash lost ({@code lo0, hi0, lo1, hi1, ...}, ascending): each unclean stop adds
     * at most one, and a reader crossing one gets a tombstone for it. Replaced, never changed.
     */
    private volatile long[] holes = new long[0];
    private DeleteSet deleted = new DeleteSet(); // replaced only by restore, before any reader
    /**
     * Moves on every change a read could see: a publish, a removal, a config change. Drawn from
     * one process-wide sequence, so no two logs, and no two incarnations of one topic name,
     * ever show the same version.
     */
    private final AtomicLong version = new AtomicLong(VERSIONS.incrementAndGet());
    private static final AtomicLong VERSIONS = new AtomicLong();

    // The writer's view (under the topic lock), which runs ahead of readers by the batches
    // filled but not yet published: every seq below low is gone, live records are counted.
    private long low = 1;
    private volatile long lowTs = UNKNOWN_TS; // read without the lock by mayHaveExpired
    private long wLive;
    private long wBytes;
    private long wCapThrough;

    /**
     * A number that moves whenever what a read returns could change (a publish, a removal, a
     * config change): two reads with the same query and the same version return the same.
     */
    long version() {
        return version.get();
    }

    /** A change outside the log that reads see (the config). */
    void changed() {
        moved();
    }

    /**
     * Last in every change: a reader that sees the new version also sees the change. Two
     * changes racing (a publish and a removal) both end at or above their own number.
     */
    private void moved() {
        version.accumulateAndGet(VERSIONS.incrementAndGet(), Math::max);
    }

    /** Highest published seq; 0 when nothing was ever appended. */
    long head() {
        return head;
    }

    /** Live payload bytes of the published log (deleted, evicted and expired records excluded). */
    long bytes() {
        return liveBytes.get();
    }

    /** Live published records. */
    long count() {
        return liveCount.get();
    }

    /** The first live seq, or {@code head + 1} when nothing is live (spec §2). */
    long earliest() {
        long h = head;
        return liveCount.get() == 0 ? h + 1 : Math.min(earliest.get(), h + 1);
    }

    /** What one read works against; {@code earliest} as {@link #earliest()}, {@code floor} as {@link #evictFloor()}. */
    record Watermarks(long head, long earliest, long floor) {
    }

    /**
     * The first live seq, then the floors, then the head: writers move them in the opposite
     * order, so the floors are at least as new as the first live seq read, and the head at
     * least as new as both. A read never skips seqs its floor does not cover.
     */
    Watermarks watermarks() {
        long e = earliest.get();
        long floor = evictFloor();
        long n = liveCount.get();
        long h = head;
        floor = Math.min(floor, h + 1); // a batch's eviction of its own records shows with the batch
        return new Watermarks(h, Math.max(floor, n == 0 ? h + 1 : Math.min(e, h + 1)), floor);
    }

    /** Whether a batch filled but not yet published evicted records readers still see. Caller holds the topic lock. */
    boolean evictionInFlight() {
        return low > earliest.get() && filled > head;
    }

    /** One above the highest seq lost to a cap or TTL: the tombstone floor (spec §7.1). */
    long evictFloor() {
        return Math.max(capThrough.get(), ttlThrough.get()) + 1;
    }

    /** The last seq of the newest hole, 0 when none. */
    long lastHoleEnd() {
        long[] hs = holes;
        return hs.length == 0 ? 0 : hs[hs.length - 1];
    }

    /** The first hole (see {@link #holes}) that ends above {@code seq}: {lo, hi}, or null. */
    long[] holeAfter(long seq) {
        long[] hs = holes;
        for (int i = 0; i < hs.length; i += 2) {
            if (hs[i + 1] > seq) {
                return new long[] {hs[i], hs[i + 1]};
            }
        }
        return null;
    }

    /** Why the seqs from {@code gapFrom} up to the evict floor are gone (best-effort, spec §7.2). */
    String evictReason(long gapFrom) {
        boolean cap = capThrough.get() >= gapFrom;
        boolean ttl = ttlThrough.get() >= gapFrom;
        return cap && ttl ? "mixed" : cap ? "cap" : "ttl";
    }

    boolean deleted(long seq) {
        return deleted.contains(seq);
    }

    /** Seqs up to here are sealed in segments. */
    long sealedThrough() {
        return sealedThrough;
    }

    /** The sealed segments, oldest first. */
    Segment[] segments() {
        return segments;
    }

    /** Payload bytes held in memory. */
    long memoryBytes() {
        return memoryBytes.get();
    }

    /** The next fill starts a new chunk (so a chunk never mixes two durability classes). Caller holds the topic lock. */
    void breakChunk() {
        gap = true;
    }

    /** Published seqs not yet sealed: what a seal would cover. */
    long unsealedCount() {
        return head - sealedThrough;
    }

    /** Highest filled seq: at or above {@link #head()}; the slots in between await their commit. */
    long filled() {
        return filled;
    }

    /** Live records and bytes counting the filled but unpublished ones. Caller holds the topic lock. */
    long writerCount() {
        return wLive;
    }

    long writerBytes() {
        return wBytes;
    }

    /**
     * Fills slots for every record of {@code batch}, with seqs {@code filled() + 1 ...} and
     * timestamp {@code ts}, without publishing them. {@code lsn} is at or below the lsn of the
     * batch's journal frame (what a checkpoint must keep of the WAL). Caller holds the topic lock.
     */
    Counted fill(WriteBatch batch, long ts, long lsn) {
        long seq = filled + 1;
        byte[] src = batch.bytes();
        Chunk[] cs = chunks;
        Chunk c = cs.length == 0 ? null : cs[cs.length - 1];
        for (int i = 0, n = batch.size(); i < n; i++) {
            int dl = batch.dataLen(i);
            int ml = batch.metaLen(i);
            if (c == null || gap || !c.hasRoom(dl + ml)) {
                gap = false;
                int capacity = (int) Math.min(MAX_CHUNK_RECORDS, Math.max(MIN_CHUNK_RECORDS, filled + n));
                c = new Chunk(seq, Integer.highestOneBit(capacity - 1) << 1, dl + ml, lsn);
                cs = Arrays.copyOf(cs, cs.length + 1);
                cs[cs.length - 1] = c;
            }
            c.put(src, batch.dataOff(i), dl, batch.metaOff(i), ml, ts, batch.tag(i), batch.node(i));
            seq++;
        }
        Counted live = countLive(batch, filled + 1);
        chunks = cs;
        if (lowTs == Long.MAX_VALUE) {
            lowTs = UNKNOWN_TS; // nothing was live: the first live record may be one of these
        }
        filled = seq - 1;
        return live;
    }

    /** Records and payload bytes of a filled batch that count as live: what its publish adds. */
    record Counted(int records, long bytes) {
    }

    /** Counts a filled batch as live, but for seqs a snapshot already counts as gone (replay refills those). */
    private Counted countLive(WriteBatch batch, long first) {
        if (first >= low && deleted.isEmpty()) {
            wLive += batch.size();
            wBytes += batch.payloadBytes();
            return new Counted(batch.size(), batch.payloadBytes());
        }
        int records = 0;
        long bytes = 0;
        for (int i = 0; i < batch.size(); i++) {
            if (first + i >= low && !deleted.contains(first + i)) {
                records++;
                bytes += batch.dataLen(i) + batch.metaLen(i);
            }
        }
        wLive += records;
        wBytes += bytes;
        return new Counted(records, bytes);
    }

    /**
     * Evicts the oldest live records until {@code incoming} more records of {@code incomingBytes}
     * fit within {@code maxRecords} and {@code maxBytes} (0 = no cap), counting filled records.
     * It changes nothing when it fails. Called before a fill for what is there, so only memory is
     * left to evict after it (a batch larger than a cap evicts its own first records). Caller
     * holds the topic lock. Readers see it when {@code publish} is handed the result; with
     * nothing in flight, apply it at once with {@link #evicted}.
     */
    Removal evict(long maxRecords, long maxBytes, int incoming, long incomingBytes) throws IOException {
        if ((maxRecords <= 0 || wLive + incoming <= maxRecords) && (maxBytes <= 0 || wBytes + incomingBytes <= maxBytes)) {
            return Removal.NONE;
        }
        RemoveIf over = (seq, ts, size, live, bytes) ->
                (maxRecords > 0 && live + incoming > maxRecords) || (maxBytes > 0 && bytes + incomingBytes > maxBytes);
        // a whole segment goes when its last record would still be over (each record is at least a byte)
        Removal r = removeFromLow(filled, over, (seg, live, bytes) ->
                over.test(0, 0, 0, live - seg.info().count() + 1, bytes - seg.info().payloadBytes() + 1));
        wCapThrough = Math.max(wCapThrough, r.lastSeq);
        return r;
    }

    /** Makes an eviction visible at once: for a cap tightened with nothing in flight. Caller holds the topic lock. */
    void evicted(Removal r) {
        if (r.lastSeq > 0) {
            capThrough.accumulateAndGet(r.lastSeq, Math::max);
        }
        apply(r);
    }

    /** Expires the published records older than {@code cutoffTs} (a strict bound). Applies at once. */
    Removal expire(long cutoffTs) throws IOException {
        if (lowTs() >= cutoffTs) {
            return Removal.NONE;
        }
        Removal r = removeFromLow(head, (seq, ts, size, live, bytes) -> ts < cutoffTs,
                (seg, live, bytes) -> seg.lastTs() < cutoffTs);
        ttlThrough.accumulateAndGet(r.lastSeq, Math::max);
        apply(r);
        return r;
    }

    /** The highest seq TTL expired; 0 when none. */
    long ttlThrough() {
        return ttlThrough.get();
    }

    /**
     * Replay of a floor frame: the live records up to {@code seq} are gone, expired by TTL
     * ({@code ttl}) or evicted by a cap. Applies at once.
     */
    Removal removeThrough(long seq, boolean ttl) throws IOException {
        Removal r = removeFromLow(Math.min(seq, head), (s, ts, size, live, bytes) -> true, ALL);
        if (ttl) {
            ttlThrough.accumulateAndGet(seq, Math::max);
        } else {
            wCapThrough = Math.max(wCapThrough, seq);
            capThrough.accumulateAndGet(seq, Math::max);
        }
        apply(r);
        return r;
    }

    /** Deletes every live record below {@code bound}; silent, so no floor moves. Applies at once. */
    Removal deleteBelow(long bound) throws IOException {
        Removal r = removeFromLow(Math.min(bound - 1, head), (seq, ts, size, live, b) -> true, ALL);
        apply(r);
        return r;
    }

    /**
     * Deletes the live records in {@code seqSizes[0, n)}, pairs of a published seq (in any order,
     * repeats counted once) and its payload bytes; silent. Applies at once. Caller holds the
     * topic lock.
     */
    Removal deleteSeqs(long[] seqSizes, int n) throws IOException {
        long count = 0;
        long bytes = 0;
        for (int i = 0; i + 1 < n; i += 2) {
            long seq = seqSizes[i];
            if (seq < low || seq > head || deleted.contains(seq)) {
                continue;
            }
            deleted.add(seq);
            count++;
            bytes += seqSizes[i + 1];
        }
        wLive -= count;
        wBytes -= bytes;
        Removal r = new Removal(count, bytes, 0, 0);
        if (deleted.contains(low)) {
            r = r.plus(removeFromLow(head, (seq, ts, size, live, b) -> false, null)); // low moves past the deleted
        }
        apply(r);
        return r;
    }

    /** Payload bytes of the record at {@code seq}, or -1 when none is held there. */
    /** Visits the tagged records at or above {@code from} and below {@code bound} held in memory. */
    void forEachHotTag(long from, long bound, TagVisitor v) {
        for (Chunk c : chunks) {
            if (c.tag == null || c.firstSeq >= bound || c.lastSeq() < from) {
                continue;
            }
            for (int i = (int) Math.max(0, from - c.firstSeq); i < c.count && c.firstSeq + i < bound; i++) {
                if (c.tag[i] != null) {
                    v.visit(c.firstSeq + i, c.tag[i], c.dataLen[i] + c.metaLen[i]);
                }
            }
        }
    }

    interface TagVisitor {
        void visit(long seq, String tag, int payloadBytes);
    }

    /** Live records and bytes a removal took, the highest live seq it took (0 if none), and memory it released. */
    record Removal(long count, long bytes, long lastSeq, long releasedMemory) {
        static final Removal NONE = new Removal(0, 0, 0, 0);

        Removal plus(Removal o) {
            return new Removal(count + o.count, bytes + o.bytes, Math.max(lastSeq, o.lastSeq),
                    releasedMemory + o.releasedMemory);
        }
    }

    /** Whether to remove the next live record; {@code live} and {@code bytes} count what is still live. */
    private interface RemoveIf {
        boolean test(long seq, long ts, int size, long live, long bytes);
    }

    /** Whether a whole segment, every record of it live, goes at once; {@code live} and {@code liveBytes} as for RemoveIf. */
    private interface WholeIf {
        boolean test(Segment s, long live, long liveBytes) throws IOException;
    }

    /** Every whole segment within the limit goes. */
    private static final WholeIf ALL = (s, live, liveBytes) -> true;

    /**
     * Removes live records from the lowest up, at most through {@code limit}, while {@code more}
     * says so; then moves {@code low} to the next live record, past deleted seqs and holes, and
     * drops the chunks wholly below it. Writer side only: readers see it through {@link #apply}
     * or {@link #publish}.
     */
    private Removal removeFromLow(long limit, RemoveIf more, WholeIf whole) throws IOException {
        long[] took = new long[3]; // count, bytes, last seq
        long[] next = {filled + 1, Long.MAX_VALUE}; // the first live record left, and its ts
        boolean[] stopped = {false};
        Visit visit = (seq, ts, size, tag) -> {
            if (deleted.contains(seq)) {
                return true;
            }
            if (seq > limit || !more.test(seq, ts, size, wLive - took[0], wBytes - took[1])) {
                next[0] = seq;
                next[1] = ts;
                stopped[0] = true;
                return false;
            }
            took[0]++;
            took[1] += size;
            took[2] = seq;
            return true;
        };
        long from = low;
        Segment[] ss = segments;
        for (int i = segmentIndex(ss, from); i < ss.length && !stopped[0]; i++) {
            SegmentInfo s = ss[i].info();
            if (s.lastSeq() < from) {
                continue;
            }
            if (whole != null && s.firstSeq() >= from && s.lastSeq() <= limit
                    && !deleted.view().anyIn(s.firstSeq(), s.lastSeq())
                    && whole.test(ss[i], wLive - took[0], wBytes - took[1])) {
                // nothing was removed from this segment yet: counted from its footer, not read
                took[0] += s.count();
                took[1] += s.payloadBytes();
                took[2] = s.lastSeq();
            } else {
                walk(from, Math.min(s.lastSeq(), filled), visit);
            }
            from = s.lastSeq() + 1;
        }
        if (!stopped[0]) {
            walk(from, filled, visit);
        }
        wLive -= took[0];
        wBytes -= took[1];
        low = Math.max(low, next[0]);
        lowTs = next[1];
        // readers may not see this removal yet (a batch in flight caused it): keep what they may read
        long unreadable = readersGone();
        deleted.dropBelow(unreadable);
        return new Removal(took[0], took[1], took[2], dropChunksBelow(unreadable));
    }

    /**
     * Seqs below this are gone for every reader that starts from now on (readers already running
     * keep the chunk arrays, segment arrays and delete views they started with). Caller holds
     * the topic lock.
     */
    private long readersGone() {
        return Math.min(low, Math.min(earliest.get(), head + 1));
    }

    /** Drops the chunks wholly below {@code seq}; returns their payload bytes. Caller holds the topic lock. */
    private long dropChunksBelow(long seq) {
        Chunk[] cs = chunks;
        int drop = 0;
        long released = 0;
        while (drop < cs.length && cs[drop].lastSeq() < seq) {
            released += cs[drop].used;
            drop++;
        }
        if (drop > 0) {
            chunks = Arrays.copyOfRange(cs, drop, cs.length);
            memoryBytes.addAndGet(-released);
        }
        return released;
    }

    /** Makes a removal of published records visible to readers. */
    private void apply(Removal r) {
        liveCount.addAndGet(-r.count);
        liveBytes.addAndGet(-r.bytes);
        earliest.accumulateAndGet(Math.min(low, head + 1), Math::max);
        moved();
    }

    /** The timestamp of the first live record, {@code Long.MAX_VALUE} when none. Caller holds the topic lock. */
    private long lowTs() throws IOException {
        if (lowTs == UNKNOWN_TS) {
            long[] ts = {Long.MAX_VALUE};
            walk(low, filled, (seq, t, size, tag) -> {
                if (deleted.contains(seq)) {
                    return true;
                }
                ts[0] = t;
                return false;
            });
            lowTs = ts[0];
        }
        return lowTs;
    }

    /** Whether the first live record may be older than {@code cutoffTs}: a lock-free hint for TTL. */
    boolean mayHaveExpired(long cutoffTs) {
        long t = lowTs;
        return t == UNKNOWN_TS || t < cutoffTs;
    }

    /**
     * Makes filled slots up to {@code upTo} visible to readers, with the eviction their batch
     * caused. Called in seq order, once per committed batch ({@code batchBytes} is its payload
     * size), by whichever thread saw the commit; the happens-before chain from {@link #fill} runs
     * through the WAL's queue.
     */
    void publish(long upTo, long batchBytes, Counted live, Removal evicted, long lowAfter) {
        memoryBytes.addAndGet(batchBytes);
        liveCount.addAndGet(live.records - evicted.count);
        liveBytes.addAndGet(live.bytes - evicted.bytes);
        if (evicted.lastSeq > 0) {
            capThrough.accumulateAndGet(evicted.lastSeq, Math::max);
        }
        earliest.accumulateAndGet(lowAfter, Math::max);
        head = upTo; // every slot up to here was filled before this volatile write
        moved();
    }

    /**
     * A crash lost the seqs from {@code lo} up to {@code hi}: the log continues above them, and
     * a reader crossing them gets a tombstone (recovery, or its replay, before any reader).
     */
    void loseRange(long lo, long hi) {
        long[] hs = holes;
        lo = Math.max(lo, lastHoleEnd() + 1); // a range already lost is reported by its own hole
        if (hi >= lo) {
            long[] more = Arrays.copyOf(hs, hs.length + 2);
            more[hs.length] = lo;
            more[hs.length + 1] = hi;
            holes = more;
        }
        skipTo(hi + 1);
    }

    /** Where {@code low} stands now (writer side): what a publish of the last fill hands readers. */
    long low() {
        return low;
    }

    /**
     * Continues the log at {@code next}, leaving the seqs in between unused: seqs handed out
     * before a crash that took their records (unlogged classes) are never given again.
     * Recovery only, before any reader.
     */
    void skipTo(long next) {
        if (next > filled + 1) {
            if (low > filled) {
                low = Math.max(low, next); // nothing live: the next record is the first
                earliest.accumulateAndGet(low, Math::max);
            }
            filled = next - 1;
            head = next - 1;
            gap = true;
        }
    }

    /** One held record for {@link #walk}: its seq, timestamp, payload size and tag. */
    private interface Visit {
        /** False stops the walk. */
        boolean visit(long seq, long ts, int size, String tag) throws IOException;
    }

    /** Visits the records held at seqs {@code from..to}, sealed then in memory, in seq order, until told to stop. */
    private void walk(long from, long to, Visit v) throws IOException {
        Chunk[] cs = chunks;
        Segment[] ss = segments;
        long hotFirst = cs.length == 0 ? Long.MAX_VALUE : cs[0].firstSeq;
        long seq = from;
        for (int si = segmentIndex(ss, seq); si < ss.length && seq <= to && seq < hotFirst; si++) {
            Segment s = ss[si];
            if (s.info().lastSeq() < seq) {
                continue;
            }
            try (Segment.Cursor c = s.cursor(seq - 1)) {
                while (c.next() && c.seq() <= to && c.seq() < hotFirst) {
                    if (!v.visit(c.seq(), c.ts(), c.dataLength() + c.metaLength(), c.tag())) {
                        return;
                    }
                }
            }
            seq = Math.max(seq, s.info().lastSeq() + 1);
        }
        seq = Math.max(seq, hotFirst);
        for (int ci = cs.length == 0 ? 0 : chunkIndex(cs, seq); ci < cs.length && seq <= to; ci++) {
            Chunk c = cs[ci];
            for (int i = (int) Math.max(0, seq - c.firstSeq); i < c.count && c.firstSeq + i <= to; i++) {
                if (!v.visit(c.firstSeq + i, c.ts[i], c.dataLen[i] + c.metaLen[i], c.tag == null ? null : c.tag[i])) {
                    return;
                }
            }
            seq = Math.max(seq, c.lastSeq() + 1);
        }
    }

    /** A published record handed to a checkpoint: data at {@code src[off]}, meta right after it. */
    interface RecordSink {
        void accept(long seq, long ts, ByteBuffer src, int off, int dataLen, int metaLen, String tag, String node)
                throws IOException;
    }

    /**
     * Hands the live in-memory records with seqs in {@code (afterSeq, upTo]} to {@code sink}, in
     * seq order. {@code upTo} must be published. Only the checkpoint thread calls it, and only
     * it and removals drop chunks, which leave the chunks walked whole.
     */
    void forEachHot(long afterSeq, long upTo, RecordSink sink) throws IOException {
        for (Chunk c : chunks) {
            if (c.firstSeq > upTo) {
                break;
            }
            int n = (int) Math.min(c.count, upTo - c.firstSeq + 1);
            for (int i = (int) Math.max(0, afterSeq + 1 - c.firstSeq); i < n; i++) {
                long seq = c.firstSeq + i;
                if (seq < earliest.get() || deleted.contains(seq)) {
                    continue; // gone already: not worth a place on disk
                }
                sink.accept(seq, c.ts[i], c.slab, c.off[i], c.dataLen[i], c.metaLen[i],
                        c.tag == null ? null : c.tag[i], c.node == null ? null : c.node[i]);
            }
        }
    }

    /**
     * Installs segments that now hold every live record up to {@code through}, then drops the
     * chunks they cover. Caller holds the topic lock. Returns the payload bytes released from
     * memory.
     */
    long sealed(List<Segment> added, long through) {
        if (!added.isEmpty()) {
            Segment[] ss = Arrays.copyOf(segments, segments.length + added.size());
            for (int i = 0; i < added.size(); i++) {
                ss[segments.length + i] = added.get(i);
            }
            segments = ss; // before the chunks shrink: see the class comment
        }
        sealedThrough = Math.max(sealedThrough, through);
        return dropChunksBelow(Math.max(Math.min(sealedThrough, filled) + 1, readersGone()));
    }

    /**
     * Drops the segments whose every seq is gone (below the first live seq, or deleted), in one
     * step: readers never reach them again. Caller holds the topic lock. Returns them, for
     * their files to go once no snapshot names them.
     */
    List<Segment> dropGoneSegments() {
        Segment[] ss = segments;
        long below = readersGone();
        List<Segment> gone = new ArrayList<>();
        List<Segment> kept = new ArrayList<>(ss.length);
        for (Segment s : ss) {
            SegmentInfo i = s.info();
            if (i.lastSeq() < below || deleted.containsAll(Math.max(i.firstSeq(), below), i.lastSeq())) {
                gone.add(s);
            } else {
                kept.add(s);
            }
        }
        if (!gone.isEmpty()) {
            segments = kept.toArray(NO_SEGMENTS);
        }
        return gone;
    }

    /** What a snapshot keeps of this log's retention, beside its segments ({@code deletes}: {@link DeleteSet#encode}). */
    record Retained(long live, long bytes, long low, long capThrough, long ttlThrough, long[] holes,
                    ByteBuffer deletes) {
    }

    /**
     * Retention as of {@code sealedThrough()}: the records above it are replayed, and counted
     * again then. Caller holds the topic lock.
     */
    Retained retained() {
        long[] hot = new long[2];
        long from = Math.max(sealedThrough + 1, low);
        // nothing up to sealedThrough is live (an unlogged topic, never sealed): no walk needed
        for (Chunk c : low > sealedThrough ? NO_CHUNKS : chunks) {
            for (int i = (int) Math.max(0, from - c.firstSeq); i < c.count; i++) {
                if (!deleted.contains(c.firstSeq + i)) {
                    hot[0]++;
                    hot[1] += c.dataLen[i] + c.metaLen[i];
                }
            }
        }
        long live = low > sealedThrough ? 0 : wLive - hot[0];
        long bytes = low > sealedThrough ? 0 : wBytes - hot[1];
        return new Retained(live, bytes, low, wCapThrough, ttlThrough.get(), holes, deleted.encoded());
    }

    /**
     * Recovery from a snapshot, before any reader: the topic holds {@code segs}, its seqs up to
     * {@code through} are accounted for, and {@code r} says what of them is live.
     */
    void restore(Segment[] segs, long through, Retained r) {
        segments = segs.clone();
        sealedThrough = through;
        filled = through;
        gap = true;
        head = through;
        wLive = r.live;
        wBytes = r.bytes;
        liveCount.set(r.live);
        liveBytes.set(r.bytes);
        low = r.low;
        earliest.set(r.low);
        wCapThrough = r.capThrough;
        capThrough.set(r.capThrough);
        ttlThrough.set(r.ttlThrough);
        holes = r.holes.clone();
        lowTs = UNKNOWN_TS;
        deleted = DeleteSet.decode(r.deletes.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN));
    }

    /**
     * The lowest lsn a recovery must replay for this topic: at or below the journal frame of
     * the first record above {@code sealedThrough()}; {@code Long.MAX_VALUE} when every record
     * up to {@code upTo} is sealed. Caller holds the topic lock.
     */
    long unsealedMinLsn(long upTo) {
        long s = sealedThrough;
        if (s >= Math.min(upTo, filled)) {
            return Long.MAX_VALUE;
        }
        for (Chunk c : chunks) {
            if (c.count > 0 && c.lastSeq() > s) {
                return c.minLsn;
            }
        }
        return Long.MAX_VALUE;
    }

    /** The timestamp of the oldest unsealed in-memory record, or {@code Long.MAX_VALUE}. */
    long oldestUnsealedTs() {
        long s = sealedThrough;
        long h = head;
        for (Chunk c : chunks) {
            if (c.count > 0 && c.lastSeq() > s && c.firstSeq <= h) {
                return c.ts[(int) Math.max(0, s + 1 - c.firstSeq)];
            }
        }
        return Long.MAX_VALUE;
    }

    /**
     * Writes the published records after {@code fromSeq} as JSON objects separated by commas
     * into {@code out}, within the query's record and byte limits: sealed segments first, then
     * the hot tail.
     *
     * @throws IOException when a segment cannot be read or fails its checksums
     */
    ReadResult read(long fromSeq, long h, DiffQuery q, Set<String> hiddenNodes, JsonOut out) throws IOException {
        Chunk[] cs = chunks;
        Segment[] ss = segments;
        long hotFirst = cs.length == 0 ? h + 1 : cs[0].firstSeq;
        // segments may already hold seqs above the head this read started from: never past it
        long segmentsEnd = Math.min(hotFirst, h + 1);
        Reading r = new Reading(fromSeq, q, hiddenNodes, deleted.view(), out);
        long seq = fromSeq + 1;
        for (int si = segmentIndex(ss, seq); si < ss.length && seq < segmentsEnd && !r.full; si++) {
            Segment s = ss[si];
            if (s.info().lastSeq() < seq) {
                continue;
            }
            try (Segment.Cursor c = s.cursor(seq - 1)) {
                while (!r.full && c.next() && c.seq() < segmentsEnd) {
                    if (r.accept(c.seq(), c.node(), c.dataLength() + c.metaLength())) {
                        writeRecord(out, c.seq(), c.ts(), c.node(), c.tag(), c.buffer(), c.dataOffset(),
                                c.dataLength(), c.metaLength(), q, r.tsCache);
                    }
                }
            }
            if (!r.full) {
                seq = Math.max(seq, Math.min(s.info().lastSeq() + 1, segmentsEnd));
            }
        }
        if (r.full) {
            return r.result(h);
        }
        seq = Math.max(seq, hotFirst);
        for (int ci = cs.length == 0 ? 0 : chunkIndex(cs, seq); ci < cs.length && seq <= h && !r.full; ) {
            Chunk c = cs[ci];
            if (seq < c.firstSeq) {
                seq = c.firstSeq; // seqs skipped in recovery hold nothing
                continue;
            }
            int slot = (int) (seq - c.firstSeq);
            if (slot >= c.count) {
                ci++;
                continue;
            }
            if (r.accept(seq, c.node == null ? null : c.node[slot], c.dataLen[slot] + c.metaLen[slot])) {
                c.write(slot, seq, q, out, r.tsCache);
            }
            seq++;
        }
        return r.result(h);
    }

    /** The running state of one read: what was written, how far it got, and whether it is full. */
    private static final class Reading {
        final DiffQuery q;
        final Set<String> hidden;
        final DeleteSet.View deleted; // null when nothing is deleted
        final JsonOut out;
        final int start;
        final long fromSeq;
        final TsCache tsCache = new TsCache();
        long examined;
        int written;
        long skipped;
        boolean full;

        Reading(long fromSeq, DiffQuery q, Set<String> hidden, DeleteSet.View deleted, JsonOut out) {
            this.fromSeq = fromSeq;
            this.q = q;
            this.hidden = hidden;
            this.deleted = deleted.isEmpty() ? null : deleted;
            this.out = out;
            this.start = out.size();
            this.examined = fromSeq;
        }

        /**
         * Whether the record at {@code seq} should be written now (its separating comma is then
         * already out); false for a deleted record or a hidden node, or when a limit is reached
         * ({@link #full} is set).
         */
        boolean accept(long seq, String node, int payloadBytes) {
            if (written >= q.limit()) {
                full = true;
                return false;
            }
            if ((deleted != null && deleted.contains(seq))
                    || (node != null && !hidden.isEmpty() && hidden.contains(node))) {
                if (++skipped > MAX_SKIPPED) {
                    full = true; // bounded work: the cursor goes on from here next time
                    return false;
                }
                examined = seq;
                return false;
            }
            if (written > 0 && out.size() - start + payloadBytes + 64 > q.maxBatchBytes()) {
                full = true;
                return false;
            }
            if (written > 0) {
                out.raw((byte) ',');
            }
            written++;
            examined = seq;
            if (written >= q.limit()) {
                full = true;
            }
            return true;
        }

        /** Where the read ended: a read that ran out of records examined every seq up to the head. */
        ReadResult result(long h) {
            long last = full ? examined : Math.max(examined, h);
            return new ReadResult(last, h, written, last - fromSeq);
        }
    }

    /**
     * The last timestamp written and where its digits sit in the output: records of one batch
     * share a timestamp, so most records copy it instead of formatting it again.
     */
    private static final class TsCache {
        long ts = -1;
        int at;
        int len;
    }

    private static final byte[] SEQ = ascii("{\"$seq\":");
    private static final byte[] TS = ascii(",\"$ts\":");
    private static final byte[] NODE = ascii(",\"$node\":");
    private static final byte[] TAG = ascii(",\"$tag\":");
    private static final byte[] DATA = ascii(",\"data\":");
    private static final byte[] META = ascii(",\"meta\":");

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Where a read stopped: the last examined seq, the head it read against, and counts. */
    record ReadResult(long lastExamined, long head, int records, long scanned) {
    }

    /** The last segment starting at or below {@code seq}, else 0. */
    private static int segmentIndex(Segment[] ss, long seq) {
        int lo = 0;
        int hi = ss.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (ss[mid].info().firstSeq() <= seq) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private static int chunkIndex(Chunk[] cs, long seq) {
        int lo = 0;
        int hi = cs.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (cs[mid].firstSeq <= seq) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /**
     * A run of consecutive seqs. Its arrays and its slab are sized once and never replaced, so
     * a lock-free reader always sees the bytes of every published slot; a record that does not
     * fit starts the next chunk.
     */
    private static final class Chunk {
        final long firstSeq;
        final long[] ts;
        final int[] off;
        final int[] dataLen;
        final int[] metaLen;
        String[] tag; // null until the chunk holds a tagged record: most logs carry few tags
        String[] node; // likewise for origin nodes
        // on the heap, so a dropped chunk returns its memory at the next collection; checkpoints
        // keep the hot tail small, and big slabs are humongous objects the collector never copies
        final ByteBuffer slab;
        int used;
        int count;
        /** At or below the lsn of the journal frame that holds this chunk's first record. */
        final long minLsn;

        Chunk(long firstSeq, int capacity, int firstRecordBytes, long minLsn) {
            this.firstSeq = firstSeq;
            this.minLsn = minLsn;
            ts = new long[capacity];
            off = new int[capacity];
            dataLen = new int[capacity];
            metaLen = new int[capacity];
            // room for `capacity` records like the first, so a chunk seldom ends before its slots do
            long expected = (long) capacity * Math.max(64, firstRecordBytes);
            slab = ByteBuffer.allocate((int) Math.max(firstRecordBytes, Math.min(expected, MAX_SLAB_BYTES)));
        }

        boolean hasRoom(int recordBytes) {
            return count < ts.length && (long) used + recordBytes <= slab.capacity();
        }

        void put(byte[] src, int dOff, int dLen, int mOff, int mLen, long t, String tg, String nd) {
            int need = used + dLen + mLen;
            slab.put(used, src, dOff, dLen);
            if (mLen > 0) {
                slab.put(used + dLen, src, mOff, mLen);
            }
            int i = count;
            off[i] = used;
            dataLen[i] = dLen;
            metaLen[i] = mLen;
            ts[i] = t;
            if (tg != null) {
                if (tag == null) {
                    tag = new String[ts.length];
                }
                tag[i] = tg;
            }
            if (nd != null) {
                if (node == null) {
                    node = new String[ts.length];
                }
                node[i] = nd;
            }
            used = need;
            count = i + 1;
        }

        void write(int i, long seq, DiffQuery q, JsonOut out, TsCache tsCache) {
            writeRecord(out, seq, ts[i], node == null ? null : node[i], tag == null ? null : tag[i], slab, off[i],
                    dataLen[i], metaLen[i], q, tsCache);
        }

        long lastSeq() {
            return firstSeq + count - 1;
        }
    }

    /** One record as JSON: {@code data} sits at {@code src[off]}, its meta right after it. */
    private static void writeRecord(JsonOut out, long seq, long t, String nd, String tg, ByteBuffer src, int off,
                                    int dataLen, int metaLen, DiffQuery q, TsCache tsCache) {
        out.raw(SEQ).number(seq).raw(TS);
        if (t == tsCache.ts) {
            out.again(tsCache.at, tsCache.len);
        } else {
            tsCache.ts = t;
            tsCache.at = out.size();
            out.number(t);
            tsCache.len = out.size() - tsCache.at;
        }
        if (nd != null) {
            out.raw(NODE).string(nd);
        }
        if (q.includeTags() && tg != null) {
            out.raw(TAG).string(tg);
        }
        if (q.includeData()) {
            out.raw(DATA).raw(src, off, dataLen);
        }
        if (q.includeMeta() && metaLen > 0) {
            out.raw(META).raw(src, off + dataLen, metaLen);
        }
        out.raw((byte) '}');
    }
}
