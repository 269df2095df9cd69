package io.topics.server.engine;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Set;

/**
 * The in-memory record store of one topic instance: columnar chunks (parallel primitive arrays
 * plus one off-heap byte slab each), so a record costs no object of its own and a read is a
 * slice copy.
 *
 * <p>One writer at a time (the caller holds the topic's lock) fills slots and then publishes
 * them by moving the volatile {@link #head}. Readers never lock: they read {@code head}, then
 * only touch slots at or below it, which the writer never changes again.
 */
final class TopicLog {
    private static final int MIN_CHUNK_RECORDS = 16;
    private static final int MAX_CHUNK_RECORDS = 4096;
    private static final int CHUNK_SOFT_BYTES = 16 << 20;
    private static final Chunk[] NO_CHUNKS = new Chunk[0];

    // chunks and bytes are plain fields published by the volatile write of head: every reader
    // reads head first, so it sees them at least as new as the head it read
    private Chunk[] chunks = NO_CHUNKS;
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
        return cs.length == 0 ? h + 1 : cs[0].firstSeq;
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
     * timestamp {@code ts}, without publishing them. Caller holds the topic lock.
     */
    void fill(WriteBatch batch, long ts) {
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
                c = new Chunk(seq, Integer.highestOneBit(capacity - 1) << 1, dl + ml);
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

    /**
     * Writes the published records after {@code fromSeq} as JSON objects separated by commas
     * into {@code out}, within the query's record and byte limits.
     */
    ReadResult read(long fromSeq, DiffQuery q, Set<String> hiddenNodes, JsonOut out) {
        long h = head;
        Chunk[] cs = chunks;
        long seq = Math.max(fromSeq + 1, cs.length == 0 ? h + 1 : cs[0].firstSeq);
        long examined = fromSeq;
        int written = 0;
        int start = out.size();
        int ci = chunkIndex(cs, seq);
        TsCache tsCache = new TsCache();
        while (seq <= h && written < q.limit()) {
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
            String node = c.node == null ? null : c.node[slot];
            if (node == null || hiddenNodes.isEmpty() || !hiddenNodes.contains(node)) {
                if (written > 0 && out.size() - start + c.dataLen[slot] + c.metaLen[slot] + 64 > q.maxBatchBytes()) {
                    break;
                }
                if (written > 0) {
                    out.raw((byte) ',');
                }
                c.write(slot, seq, q, out, tsCache);
                written++;
            }
            examined = seq;
            seq++;
        }
        return new ReadResult(examined, h, written, examined - fromSeq);
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

    /** A run of consecutive seqs; arrays are sized once, the byte slab grows by doubling. */
    private static final class Chunk {
        final long firstSeq;
        final long[] ts;
        final int[] off;
        final int[] dataLen;
        final int[] metaLen;
        String[] tag; // null until the chunk holds a tagged record: most logs carry few tags
        String[] node; // likewise for origin nodes
        // payload bytes live off-heap: the collector never copies them, only the small columns
        ByteBuffer slab;
        int used;
        int count;

        Chunk(long firstSeq, int capacity, int firstRecordBytes) {
            this.firstSeq = firstSeq;
            ts = new long[capacity];
            off = new int[capacity];
            dataLen = new int[capacity];
            metaLen = new int[capacity];
            // sized for `capacity` records like the first, so a slab seldom grows: a grown slab
            // leaves garbage off-heap that only a GC returns
            long expected = (long) capacity * Math.max(64, firstRecordBytes);
            slab = ByteBuffer.allocateDirect((int) Math.max(firstRecordBytes, Math.min(expected, CHUNK_SOFT_BYTES)));
        }

        boolean hasRoom(int recordBytes) {
            return count < ts.length && (long) used + recordBytes <= CHUNK_SOFT_BYTES;
        }

        void put(byte[] src, int dOff, int dLen, int mOff, int mLen, long t, String tg, String nd) {
            int need = used + dLen + mLen;
            if (need > slab.capacity()) {
                // readers holding the old slab still see every published byte: we copy, never mutate
                ByteBuffer bigger = ByteBuffer.allocateDirect(Math.max(need, Math.min(slab.capacity() * 2, CHUNK_SOFT_BYTES)));
                bigger.put(0, slab, 0, used);
                slab = bigger;
            }
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
            out.raw(SEQ).number(seq).raw(TS);
            long t = ts[i];
            if (t == tsCache.ts) {
                out.again(tsCache.at, tsCache.len);
            } else {
                tsCache.ts = t;
                tsCache.at = out.size();
                out.number(t);
                tsCache.len = out.size() - tsCache.at;
            }
            String nd = node == null ? null : node[i];
            if (nd != null) {
                out.raw(NODE).string(nd);
            }
            String tg = tag == null ? null : tag[i];
            if (q.includeTags() && tg != null) {
                out.raw(TAG).string(tg);
            }
            ByteBuffer s = slab;
            out.raw(DATA).raw(s, off[i], dataLen[i]);
            if (q.includeMeta() && metaLen[i] > 0) {
                out.raw(META).raw(s, off[i] + dataLen[i], metaLen[i]);
            }
            out.raw((byte) '}');
        }
    }
}
