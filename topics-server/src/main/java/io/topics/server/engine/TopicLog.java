package io.topics.server.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import io.topics.segments.Segment;

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

    private volatile Chunk[] chunks = NO_CHUNKS;
    private volatile Segment[] segments = NO_SEGMENTS;
    // written under the topic lock by checkpoints: seqs up to here are in segments
    private volatile long sealedThrough;
    private long sealedCount;
    private long sealedBytes;
    // published payload bytes in chunks: publishes add (on the committing thread), seals subtract
    private final AtomicLong memoryBytes = new AtomicLong();
    // bytes and published are plain fields published by the volatile write of head: every
    // reader reads head first, so it sees them at least as new as the head it read
    private long bytes;
    private long records;
    private long published;
    private long filled; // writer side, under the topic lock
    private boolean gap; // the next fill starts a new chunk: seqs jumped
    private volatile long head;

    /** Highest published seq; 0 when nothing was ever appended. */
    long head() {
        return head;
    }

    /** Payload bytes of the published records. */
    long bytes() {
        return head < 0 ? 0 : bytes; // the volatile read orders this read after the writer's publish
    }

    /** First seq held, or {@code head + 1} when empty. */
    long firstSeq() {
        long h = head;
        Chunk[] cs = chunks;
        Segment[] ss = segments;
        if (ss.length > 0) {
            return ss[0].info().firstSeq();
        }
        return cs.length == 0 ? h + 1 : cs[0].firstSeq;
    }

    /** Seqs up to here are sealed in segments. */
    long sealedThrough() {
        return sealedThrough;
    }

    /** The sealed segments, oldest first. */
    Segment[] segments() {
        return segments;
    }

    /** Payload bytes of the published records held in memory. */
    long memoryBytes() {
        return memoryBytes.get();
    }

    /** The next fill starts a new chunk (so a chunk never mixes two durability classes). Caller holds the topic lock. */
    void breakChunk() {
        gap = true;
    }

    /** Published records not yet sealed, and their payload bytes. */
    long unsealedCount() {
        return count() - sealedCount;
    }

    long unsealedBytes() {
        return bytes() - sealedBytes;
    }

    /** Number of published records. */
    long count() {
        return head < 0 ? 0 : published; // the volatile read orders this read after the writer's publish
    }

    /** Highest filled seq: at or above {@link #head()}; the slots in between await their commit. */
    long filled() {
        return filled;
    }

    /**
     * Fills slots for every record of {@code batch}, with seqs {@code filled() + 1 ...} and
     * timestamp {@code ts}, without publishing them. {@code lsn} is at or below the lsn of the
     * batch's journal frame (what a checkpoint must keep of the WAL). Caller holds the topic lock.
     */
    void fill(WriteBatch batch, long ts, long lsn) {
        long seq = filled + 1;
        byte[] src = batch.bytes();
        Chunk[] cs = chunks;
        Chunk c = cs.length == 0 ? null : cs[cs.length - 1];
        for (int i = 0, n = batch.size(); i < n; i++) {
            int dl = batch.dataLen(i);
            int ml = batch.metaLen(i);
            if (c == null || gap || !c.hasRoom(dl + ml)) {
                gap = false;
                int capacity = (int) Math.min(MAX_CHUNK_RECORDS, Math.max(MIN_CHUNK_RECORDS, records + n - i));
                c = new Chunk(seq, Integer.highestOneBit(capacity - 1) << 1, dl + ml, lsn);
                cs = Arrays.copyOf(cs, cs.length + 1);
                cs[cs.length - 1] = c;
            }
            c.put(src, batch.dataOff(i), dl, batch.metaOff(i), ml, ts, batch.tag(i), batch.node(i));
            seq++;
        }
        records += batch.size();
        chunks = cs;
        filled = seq - 1;
    }

    /**
     * Makes filled slots up to {@code upTo} visible to readers. Called in seq order, once per
     * committed batch ({@code batchBytes} is its payload size), by whichever thread saw the
     * commit; the happens-before chain from {@link #fill} runs through the WAL's queue.
     */
    void publish(long upTo, long batchBytes, int batchRecords) {
        bytes += batchBytes;
        memoryBytes.addAndGet(batchBytes);
        published += batchRecords;
        head = upTo; // every slot up to here was filled before this volatile write
    }

    /**
     * Continues the log at {@code next}, leaving the seqs in between unused: seqs handed out
     * before a crash that took their records (unlogged classes) are never given again.
     * Recovery only, before any reader.
     */
    void skipTo(long next) {
        if (next > filled + 1) {
            filled = next - 1;
            head = next - 1;
            gap = true;
        }
    }

    /** A published record handed to a checkpoint: data at {@code src[off]}, meta right after it. */
    interface RecordSink {
        void accept(long seq, long ts, ByteBuffer src, int off, int dataLen, int metaLen, String tag, String node)
                throws IOException;
    }

    /**
     * Hands the in-memory records with seqs in {@code (afterSeq, upTo]} to {@code sink}, in seq
     * order. {@code upTo} must be published. Only the checkpoint thread calls it, and only it
     * drops chunks, so the chunks walked stay whole.
     */
    void forEachHot(long afterSeq, long upTo, RecordSink sink) throws IOException {
        for (Chunk c : chunks) {
            if (c.firstSeq > upTo) {
                break;
            }
            int n = (int) Math.min(c.count, upTo - c.firstSeq + 1);
            for (int i = (int) Math.max(0, afterSeq + 1 - c.firstSeq); i < n; i++) {
                sink.accept(c.firstSeq + i, c.ts[i], c.slab, c.off[i], c.dataLen[i], c.metaLen[i],
                        c.tag == null ? null : c.tag[i], c.node == null ? null : c.node[i]);
            }
        }
    }

    /**
     * Installs segments that now hold every record up to {@code through}, then drops the
     * chunks they cover. Caller holds the topic lock. Returns the payload bytes released from
     * memory.
     */
    long sealed(List<Segment> added, long through) {
        if (!added.isEmpty()) {
            Segment[] ss = Arrays.copyOf(segments, segments.length + added.size());
            for (int i = 0; i < added.size(); i++) {
                ss[segments.length + i] = added.get(i);
                sealedCount += added.get(i).info().count();
                sealedBytes += added.get(i).info().payloadBytes();
            }
            segments = ss; // before the chunks shrink: see the class comment
        }
        sealedThrough = Math.max(sealedThrough, through);
        Chunk[] cs = chunks;
        int drop = 0;
        long released = 0;
        while (drop < cs.length && cs[drop].lastSeq() <= sealedThrough && cs[drop].lastSeq() <= filled) {
            released += cs[drop].used;
            drop++;
        }
        if (drop > 0) {
            chunks = Arrays.copyOfRange(cs, drop, cs.length);
        }
        memoryBytes.addAndGet(-released);
        return released;
    }

    /**
     * Recovery from a snapshot, before any reader: the topic holds {@code segs}, and its seqs
     * up to {@code through} are accounted for.
     */
    void restore(Segment[] segs, long through) {
        segments = segs.clone();
        for (Segment s : segs) {
            sealedCount += s.info().count();
            sealedBytes += s.info().payloadBytes();
        }
        published = sealedCount;
        bytes = sealedBytes;
        sealedThrough = through;
        filled = through;
        gap = true;
        head = through;
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
    ReadResult read(long fromSeq, DiffQuery q, Set<String> hiddenNodes, JsonOut out) throws IOException {
        long h = head;
        Chunk[] cs = chunks;
        Segment[] ss = segments;
        long hotFirst = cs.length == 0 ? h + 1 : cs[0].firstSeq;
        // segments may already hold seqs above the head this read started from: never past it
        long segmentsEnd = Math.min(hotFirst, h + 1);
        Reading r = new Reading(fromSeq, q, hiddenNodes, out);
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
        int ci = chunkIndex(cs, seq);
        while (seq <= h && !r.full) {
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
        final JsonOut out;
        final int start;
        final long fromSeq;
        final TsCache tsCache = new TsCache();
        long examined;
        int written;
        boolean full;

        Reading(long fromSeq, DiffQuery q, Set<String> hidden, JsonOut out) {
            this.fromSeq = fromSeq;
            this.q = q;
            this.hidden = hidden;
            this.out = out;
            this.start = out.size();
            this.examined = fromSeq;
        }

        /**
         * Whether the record at {@code seq} should be written now (its separating comma is then
         * already out); false for a hidden node, or when a limit is reached ({@link #full} is set).
         */
        boolean accept(long seq, String node, int payloadBytes) {
            if (written >= q.limit()) {
                full = true;
                return false;
            }
            if (node != null && !hidden.isEmpty() && hidden.contains(node)) {
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

        ReadResult result(long h) {
            return new ReadResult(examined, h, written, examined - fromSeq);
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
        out.raw(DATA).raw(src, off, dataLen);
        if (q.includeMeta() && metaLen > 0) {
            out.raw(META).raw(src, off + dataLen, metaLen);
        }
        out.raw((byte) '}');
    }
}
