package io.topics.segments;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import io.topics.api.storage.Storage;
import io.topics.api.storage.StorageFile;

/**
 * A sealed segment file. Opening it checks the header, the footer and the index against what
 * the engine remembered ({@link SegmentInfo}); reading checks each block's checksum, so damage
 * is always an exception, never fewer records. Thread-safe: every {@link Cursor} and every tag
 * lookup that reads tag blocks opens the file for itself; the index and the tag summary are
 * read once and kept.
 *
 * <p>Memory once loaded: the index, 24 B per 32 KiB record block; the tag summary (only after a
 * first lookup by tag), about 40 B plus the first tag's length per 16 KiB tag block, the last
 * tag, and the bloom at 10 bits per distinct tag (at most 12.5 KiB for 10 000 records).
 */
public final class Segment {
    private final Storage fs;
    private final Path file;
    private final SegmentInfo info;
    private volatile Index index; // read on first use: recovery touches no segment bytes
    private volatile TagSummary summary; // read by the first lookup by tag, not by verify
    private volatile long lastTs = Long.MIN_VALUE; // read by the first lastTs()

    private record Index(long[] firstSeq, long[] offset, int[] length, int[] crc, Tags tags) {
    }

    /** Where the tag section is, from the footer: its blocks start at {@code blocksOffset}. */
    private record Tags(long blocksOffset, long indexOffset, int indexLength, int blocks, int indexCrc,
            int bloomLength, int bloomCrc) {
    }

    /**
     * The tag index and the bloom: enough to rule a tag out, or to find the blocks that can
     * hold it, without opening the file. {@code bloom} is null when only verify read the index.
     */
    private record TagSummary(long[] offset, int[] length, int[] crc, byte[][] firstTag, byte[] lastTag,
            long[] bloom) {
    }

    /** Takes the entries of a lookup by tag. */
    @FunctionalInterface
    public interface TaggedConsumer {
        /** A record at {@code seq} whose data and meta take {@code payloadBytes}. */
        void accept(long seq, int payloadBytes);
    }

    private Segment(Storage fs, Path file, SegmentInfo info) {
        this.fs = fs;
        this.file = file;
        this.info = info;
    }

    /** A segment in {@code dir} the engine knows by {@code info}; nothing is read yet. */
    public static Segment of(Storage fs, Path dir, SegmentInfo info) {
        return new Segment(fs, dir.resolve(SegmentFormat.name(info.firstSeq(), SegmentFormat.SUFFIX)), info);
    }

    public SegmentInfo info() {
        return info;
    }

    public Path file() {
        return file;
    }

    /** The sealed segment files in {@code dir}, by first seq. */
    public static List<Path> list(Storage fs, Path dir) throws IOException {
        return fs.list(dir).stream().filter(p -> SegmentFormat.number(p, SegmentFormat.SUFFIX) >= 0).toList();
    }

    /** Whether {@code file} is a leftover of a seal that never finished. */
    public static boolean isTemporary(Path file) {
        return file.getFileName().toString().endsWith(SegmentFormat.TEMP_SUFFIX);
    }

    /**
     * Reads and checks the header, footer, index and tag index now (recovery calls it for every
     * segment it keeps, so it reads no blocks and not the bloom: each is checked when it is read).
     */
    public void verify() throws IOException {
        Tags t = index().tags();
        if (t.blocks() > 0) {
            try (StorageFile f = fs.open(file, false)) {
                readTagIndex(SegmentFormat.readFully(f, t.indexOffset(), t.indexLength()), t);
            }
        }
    }

    /**
     * Calls {@code sink} with the seq and payload bytes of every record of this segment whose tag
     * equals {@code tag} (with {@code prefix}: starts with it) and that is below {@code belowSeq};
     * untagged records never match, the empty prefix matches every tagged one. Tags come in the
     * order of their UTF-8 bytes, each tag's seqs ascending. The first lookup reads the tag index
     * and the bloom and keeps them; then a tag outside the segment's tag range, or one the bloom
     * rules out, is answered from memory, and a lookup reads only the tag blocks whose range can
     * hold its tags. A segment without tags answers from its footer.
     */
    public void forEachTagged(String tag, boolean prefix, long belowSeq, TaggedConsumer sink) throws IOException {
        Tags t = index().tags();
        if (t.blocks() == 0) {
            return;
        }
        byte[] key = tag.getBytes(StandardCharsets.UTF_8);
        TagSummary x = summary(t);
        byte[] lowest = x.firstTag[0];
        if (place(lowest, 0, lowest.length, key, prefix) > 0 || place(x.lastTag, 0, x.lastTag.length, key, prefix) < 0
                || !prefix && !TagBloom.mayContain(x.bloom, key)) {
            return;
        }
        try (StorageFile f = fs.open(file, false)) {
            // Start at the last block whose first tag sorts below the key: a tag's groups may
            // begin at the end of the block before the one it heads.
            int b = 0;
            while (b + 1 < t.blocks() && Arrays.compareUnsigned(x.firstTag[b + 1], key) < 0) {
                b++;
            }
            ByteBuffer block = null;
            for (; b < t.blocks(); b++) {
                byte[] first = x.firstTag[b];
                if (place(first, 0, first.length, key, prefix) > 0) {
                    return;
                }
                block = readTagBlock(f, x, b, block);
                if (!scanTagBlock(block, b, key, prefix, belowSeq, sink)) {
                    return;
                }
            }
        }
    }

    /** Passes on the matching entries of one tag block; false once a tag past the wanted ones shows. */
    private boolean scanTagBlock(ByteBuffer b, int n, byte[] key, boolean prefix, long belowSeq, TaggedConsumer sink)
            throws SegmentCorruptionException {
        byte[] a = b.array();
        int p = 0;
        while (p < b.limit()) {
            if (b.limit() - p < SegmentFormat.TAG_GROUP_FIXED_BYTES) {
                throw groupPastBlock(n);
            }
            int tagEnd = p + 2 + (b.getShort(p) & 0xFFFF);
            int entriesAt = tagEnd + 4;
            int count = entriesAt > b.limit() ? 0 : b.getInt(tagEnd);
            if (count <= 0 || count > (b.limit() - entriesAt) / SegmentFormat.TAG_ENTRY_BYTES) {
                throw groupPastBlock(n);
            }
            int place = place(a, p + 2, tagEnd, key, prefix);
            if (place > 0) {
                return false;
            }
            p = entriesAt + count * SegmentFormat.TAG_ENTRY_BYTES;
            if (place == 0) {
                // ascending: the first seq at or above belowSeq ends the group
                for (int at = entriesAt; at < p && b.getLong(at) < belowSeq; at += SegmentFormat.TAG_ENTRY_BYTES) {
                    sink.accept(b.getLong(at), b.getInt(at + Long.BYTES));
                }
            }
        }
        return true;
    }

    private SegmentCorruptionException groupPastBlock(int n) {
        return new SegmentCorruptionException(file, "tag block " + n + " has a group that runs past it");
    }

    /** Where the tag in {@code a[from, to)} sorts against the wanted tags: -1 before, 0 among, 1 past them. */
    private static int place(byte[] a, int from, int to, byte[] key, boolean prefix) {
        int c = Arrays.compareUnsigned(a, from, to, key, 0, key.length);
        boolean startsWith = to - from >= key.length && Arrays.equals(a, from, from + key.length, key, 0, key.length);
        if (c == 0 || prefix && startsWith) {
            return 0;
        }
        return c < 0 ? -1 : 1;
    }

    /** The kept tag summary; the first call reads the tag index and the bloom (adjacent) with one read. */
    private TagSummary summary(Tags t) throws IOException {
        TagSummary x = summary;
        if (x == null) {
            ByteBuffer b;
            try (StorageFile f = fs.open(file, false)) {
                b = SegmentFormat.readFully(f, t.indexOffset(), t.indexLength() + t.bloomLength());
            }
            int indexBytes = Math.min(b.limit(), t.indexLength());
            TagSummary i = readTagIndex(b.slice(0, indexBytes).order(ByteOrder.LITTLE_ENDIAN), t);
            ByteBuffer w = b.slice(t.indexLength(), b.limit() - t.indexLength()).order(ByteOrder.LITTLE_ENDIAN);
            if (w.limit() != t.bloomLength() || SegmentFormat.crc(w, 0, w.limit()) != t.bloomCrc()) {
                throw new SegmentCorruptionException(file, "tag bloom checksum mismatch");
            }
            long[] bloom = new long[t.bloomLength() / Long.BYTES];
            w.asLongBuffer().get(bloom);
            x = new TagSummary(i.offset, i.length, i.crc, i.firstTag, i.lastTag, bloom);
            summary = x; // two racing lookups both read it: harmless
        }
        return x;
    }

    /** Parses and checks the tag index in {@code x}; the result has no bloom. */
    private TagSummary readTagIndex(ByteBuffer x, Tags t) throws SegmentCorruptionException {
        if (x.limit() != t.indexLength() || SegmentFormat.crc(x, 0, x.limit()) != t.indexCrc()) {
            throw new SegmentCorruptionException(file, "tag index checksum mismatch");
        }
        int n = t.blocks();
        TagSummary i = new TagSummary(new long[n], new int[n], new int[n], new byte[n][], null, null);
        long expectOffset = t.blocksOffset();
        for (int b = 0; b < n; b++) {
            if (x.remaining() < SegmentFormat.TAG_INDEX_ENTRY_FIXED_BYTES) {
                throw new SegmentCorruptionException(file, "tag index cut at entry " + b);
            }
            i.offset[b] = x.getLong();
            i.length[b] = x.getInt();
            i.crc[b] = x.getInt();
            int tagLength = x.getShort() & 0xFFFF;
            if (i.offset[b] != expectOffset || i.length[b] <= 0 || x.remaining() < tagLength) {
                throw new SegmentCorruptionException(file, "tag index entry " + b + " out of place");
            }
            i.firstTag[b] = new byte[tagLength];
            x.get(i.firstTag[b]);
            if (b > 0 && Arrays.compareUnsigned(i.firstTag[b - 1], i.firstTag[b]) > 0) {
                throw new SegmentCorruptionException(file, "tag index entry " + b + " out of order");
            }
            expectOffset += i.length[b];
        }
        if (expectOffset != t.indexOffset()) {
            throw new SegmentCorruptionException(file, "tag blocks do not end at the tag index");
        }
        int lastLength = x.remaining() < 2 ? -1 : x.getShort() & 0xFFFF;
        if (lastLength != x.remaining()) {
            throw new SegmentCorruptionException(file, "tag index does not end with the last tag");
        }
        byte[] last = new byte[lastLength];
        x.get(last);
        if (Arrays.compareUnsigned(i.firstTag[n - 1], last) > 0) {
            throw new SegmentCorruptionException(file, "the last tag sorts below the last tag block");
        }
        return new TagSummary(i.offset, i.length, i.crc, i.firstTag, last, null);
    }

    private ByteBuffer readTagBlock(StorageFile f, TagSummary x, int n, ByteBuffer reuse) throws IOException {
        ByteBuffer b = SegmentFormat.readFully(f, x.offset[n], x.length[n], reuse);
        if (b.limit() != x.length[n] || SegmentFormat.crc(b, 0, b.limit()) != x.crc[n]) {
            throw new SegmentCorruptionException(file, "tag block " + n + " checksum mismatch");
        }
        return b;
    }

    private Index index() throws IOException {
        Index i = index;
        if (i == null) {
            synchronized (this) {
                i = index;
                if (i == null) {
                    i = readIndex();
                    index = i;
                }
            }
        }
        return i;
    }

    private Index readIndex() throws IOException {
        if (!fs.exists(file)) {
            throw new SegmentCorruptionException(file, "missing");
        }
        try (StorageFile f = fs.open(file, false)) {
            long size = f.size();
            if (size != info.fileBytes()) {
                throw new SegmentCorruptionException(file, size + " bytes, expected " + info.fileBytes());
            }
            if (size < SegmentFormat.HEADER_BYTES + SegmentFormat.FOOTER_BYTES) {
                throw new SegmentCorruptionException(file, "too short: " + size + " bytes");
            }
            ByteBuffer h = SegmentFormat.readFully(f, 0, SegmentFormat.HEADER_BYTES);
            if (h.getInt(0) != SegmentFormat.MAGIC || h.getInt(24) != SegmentFormat.crc(h, 0, 24)
                    || h.getLong(16) != info.firstSeq()) {
                throw new SegmentCorruptionException(file, "bad header");
            }
            if (h.getShort(4) != SegmentFormat.VERSION) {
                throw new SegmentCorruptionException(file, "segment format version " + h.getShort(4)
                        + ", this build reads only version " + SegmentFormat.VERSION);
            }
            long footerOffset = size - SegmentFormat.FOOTER_BYTES;
            ByteBuffer t = SegmentFormat.readFully(f, footerOffset, SegmentFormat.FOOTER_BYTES);
            if (t.getInt(76) != SegmentFormat.FOOTER_MAGIC || t.getInt(72) != SegmentFormat.crc(t, 0, 72)) {
                throw new SegmentCorruptionException(file, "bad footer");
            }
            long indexOffset = t.getLong(0);
            int blocks = t.getInt(8);
            if (t.getInt(12) != info.count() || t.getLong(16) != info.firstSeq() || t.getLong(24) != info.lastSeq()
                    || t.getLong(32) != info.payloadBytes() || blocks <= 0) {
                throw new SegmentCorruptionException(file, "footer disagrees with the snapshot");
            }
            long tagsOffset = indexOffset + (long) blocks * SegmentFormat.INDEX_ENTRY_BYTES; // right after the index
            long tagIndexOffset = t.getLong(44);
            int tagBlocks = t.getInt(52);
            long bloomOffset = t.getLong(60);
            long bloomLength = footerOffset - bloomOffset;
            // the bloom has a word per 6.4 records at most: a bound on what a lookup allocates
            if (tagBlocks < 0 || tagIndexOffset < tagsOffset || bloomOffset < tagIndexOffset || bloomLength < 0
                    || footerOffset - tagIndexOffset > Integer.MAX_VALUE
                    || (tagBlocks == 0 ? tagsOffset != footerOffset
                            : bloomOffset == tagIndexOffset || bloomLength == 0 || bloomLength % Long.BYTES != 0
                                    || bloomLength > (long) TagBloom.words(info.count()) * Long.BYTES)) {
                throw new SegmentCorruptionException(file, "footer places the tag section out of order");
            }
            Tags tags = new Tags(tagsOffset, tagIndexOffset, (int) (bloomOffset - tagIndexOffset), tagBlocks,
                    t.getInt(56), (int) bloomLength, t.getInt(68));
            ByteBuffer x = SegmentFormat.readFully(f, indexOffset, blocks * SegmentFormat.INDEX_ENTRY_BYTES);
            if (SegmentFormat.crc(x, 0, x.limit()) != t.getInt(40)) {
                throw new SegmentCorruptionException(file, "index checksum mismatch");
            }
            Index i = new Index(new long[blocks], new long[blocks], new int[blocks], new int[blocks], tags);
            long expectOffset = SegmentFormat.HEADER_BYTES;
            for (int b = 0; b < blocks; b++) {
                int at = b * SegmentFormat.INDEX_ENTRY_BYTES;
                i.firstSeq[b] = x.getLong(at);
                i.offset[b] = x.getLong(at + 8);
                i.length[b] = x.getInt(at + 16);
                i.crc[b] = x.getInt(at + 24);
                if (i.offset[b] != expectOffset || i.length[b] <= 0) {
                    throw new SegmentCorruptionException(file, "index entry " + b + " out of place");
                }
                expectOffset += i.length[b];
            }
            if (expectOffset != indexOffset) {
                throw new SegmentCorruptionException(file, "blocks do not end at the index");
            }
            return i;
        }
    }

    /** The timestamp of the last record: one block read the first time, kept after that. */
    public long lastTs() throws IOException {
        long t = lastTs;
        if (t == Long.MIN_VALUE) {
            try (Cursor c = cursor(info.lastSeq() - 1)) {
                if (!c.next() || c.seq() != info.lastSeq()) {
                    throw new SegmentCorruptionException(file, "no record at its last seq " + info.lastSeq());
                }
                t = c.ts();
            }
            lastTs = t;
        }
        return t;
    }

    /** A cursor on the first record with a seq above {@code afterSeq}. Close it. */
    public Cursor cursor(long afterSeq) throws IOException {
        Index i = index();
        int b = Arrays.binarySearch(i.firstSeq, afterSeq + 1);
        b = b >= 0 ? b : Math.max(0, -b - 2);
        Cursor c = new Cursor(fs.open(file, false), i, b);
        try {
            while (c.next()) {
                if (c.seq > afterSeq) {
                    c.pending = true;
                    return c;
                }
            }
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Walks records in seq order, block by block. After {@link #next()} returned true, the
     * accessors describe the current record; {@link #buffer()} is valid until the next call.
     */
    public final class Cursor implements AutoCloseable {
        private final StorageFile f;
        private final Index i;
        private int nextBlock;
        private ByteBuffer block = ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        private boolean pending; // positioned by cursor(): the next next() returns the current record
        private long seq;
        private long ts;
        private int dataOffset;
        private int dataLength;
        private int metaLength;
        private String tag;
        private String node;

        private Cursor(StorageFile f, Index i, int block) {
            this.f = f;
            this.i = i;
            this.nextBlock = block;
        }

        /** Moves to the next record; false past the last one. */
        public boolean next() throws IOException {
            if (pending) {
                pending = false;
                return true;
            }
            if (!block.hasRemaining()) {
                if (nextBlock >= i.firstSeq.length) {
                    return false;
                }
                loadBlock(nextBlock++);
            }
            ByteBuffer b = block;
            int p = b.position();
            if (b.remaining() < SegmentFormat.RECORD_FIXED_BYTES) {
                throw new SegmentCorruptionException(file, "record cut at block end");
            }
            seq = b.getLong(p);
            ts = b.getLong(p + 8);
            dataLength = b.getInt(p + 16);
            metaLength = b.getInt(p + 20);
            int tagLength = b.getShort(p + 24) & 0xFFFF;
            int nodeLength = b.getShort(p + 26) & 0xFFFF;
            dataOffset = p + SegmentFormat.RECORD_FIXED_BYTES;
            long end = (long) dataOffset + dataLength + metaLength + (tagLength == SegmentFormat.NO_STRING ? 0 : tagLength)
                    + (nodeLength == SegmentFormat.NO_STRING ? 0 : nodeLength);
            if (dataLength < 0 || metaLength < 0 || end > b.limit()) {
                throw new SegmentCorruptionException(file, "record at seq " + seq + " runs past its block");
            }
            int at = dataOffset + dataLength + metaLength;
            tag = string(b, at, tagLength);
            at += tagLength == SegmentFormat.NO_STRING ? 0 : tagLength;
            node = string(b, at, nodeLength);
            b.position((int) end);
            return true;
        }

        private void loadBlock(int n) throws IOException {
            block = SegmentFormat.readFully(f, i.offset[n], i.length[n], block); // one buffer per cursor
            if (block.limit() != i.length[n] || SegmentFormat.crc(block, 0, block.limit()) != i.crc[n]) {
                throw new SegmentCorruptionException(file, "block " + n + " checksum mismatch");
            }
        }

        private String string(ByteBuffer b, int at, int len) {
            if (len == SegmentFormat.NO_STRING) {
                return null;
            }
            byte[] s = new byte[len];
            b.get(at, s);
            return new String(s, StandardCharsets.UTF_8);
        }

        public long seq() {
            return seq;
        }

        public long ts() {
            return ts;
        }

        /** The current block: data at {@link #dataOffset()}, meta right after it. */
        public ByteBuffer buffer() {
            return block;
        }

        public int dataOffset() {
            return dataOffset;
        }

        public int dataLength() {
            return dataLength;
        }

        public int metaLength() {
            return metaLength;
        }

        public String tag() {
            return tag;
        }

        public String node() {
            return node;
        }

        @Override
        public void close() throws IOException {
            f.close();
        }
    }
}
