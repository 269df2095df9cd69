package io.topics.segments;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.topics.api.storage.Storage;
import io.topics.api.storage.StorageFile;

/**
 * Writes one segment: records in seq order, then {@link #seal()}. The file is written under a
 * temporary name and forced before it is renamed into place and the directory is forced, so a
 * segment file under its final name is always whole and its index never points at bytes that
 * are not durable. {@link #close()} without a seal removes the temporary file.
 *
 * <p>The tags of the records are kept until the seal, which writes them sorted into the tag
 * section; a segment's size is bounded, so that list is too.
 */
public final class SegmentWriter implements AutoCloseable {
    private final Storage fs;
    private final Path dir;
    private final Path temp;
    private final StorageFile file;
    private final long firstSeq;
    private ByteBuffer block = ByteBuffer.allocate(SegmentFormat.BLOCK_TARGET_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private ByteBuffer index = ByteBuffer.allocate(SegmentFormat.INDEX_ENTRY_BYTES * 64).order(ByteOrder.LITTLE_ENDIAN);
    private final List<Tagged> tagged = new ArrayList<>();
    private ByteBuffer tagIndex = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
    private int tagBlocks;
    private long position = SegmentFormat.HEADER_BYTES;
    private long blockFirstSeq;
    private int blockRecords;
    private int blocks;
    private long count;
    private long lastSeq;
    private long payloadBytes;
    private boolean sealed;

    private record Tagged(byte[] tag, long seq, int payloadBytes) {
    }

    private SegmentWriter(Storage fs, Path dir, long topicId, long firstSeq) throws IOException {
        this.fs = fs;
        this.dir = dir;
        this.firstSeq = firstSeq;
        this.temp = dir.resolve(SegmentFormat.name(firstSeq, SegmentFormat.TEMP_SUFFIX));
        fs.createDirectories(dir);
        fs.delete(temp); // a leftover from a seal a crash interrupted
        this.file = fs.open(temp, true);
        ByteBuffer h = ByteBuffer.allocate(SegmentFormat.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(SegmentFormat.MAGIC).putShort(SegmentFormat.VERSION).putShort((short) 0)
                .putLong(topicId).putLong(firstSeq);
        h.putInt(SegmentFormat.crc(h, 0, 24)).putInt(0).flip();
        file.write(h, 0);
    }

    /** Starts {@code <dir>/<firstSeq>.seg}; the first record added must carry {@code firstSeq}. */
    public static SegmentWriter create(Storage fs, Path dir, long topicId, long firstSeq) throws IOException {
        return new SegmentWriter(fs, dir, topicId, firstSeq);
    }

    /**
     * Adds a record whose data bytes are {@code src[dataOff, dataOff + dataLen)} and whose meta
     * bytes follow them directly ({@code metaLen}, 0 when absent). Seqs must increase.
     */
    public void add(long seq, long ts, ByteBuffer src, int dataOff, int dataLen, int metaLen, String tag, String node)
            throws IOException {
        if (count == 0 ? seq != firstSeq : seq <= lastSeq) {
            throw new IllegalArgumentException("seq " + seq + " out of order after " + lastSeq);
        }
        byte[] t = tag == null ? null : tag.getBytes(StandardCharsets.UTF_8);
        byte[] n = node == null ? null : node.getBytes(StandardCharsets.UTF_8);
        int size = SegmentFormat.RECORD_FIXED_BYTES + dataLen + metaLen + (t == null ? 0 : t.length)
                + (n == null ? 0 : n.length);
        if (blockRecords > 0 && block.position() + size > SegmentFormat.BLOCK_TARGET_BYTES) {
            flushBlock();
        }
        block = SegmentFormat.ensure(block, size);
        if (blockRecords == 0) {
            blockFirstSeq = seq;
        }
        block.putLong(seq).putLong(ts).putInt(dataLen).putInt(metaLen)
                .putShort((short) (t == null ? SegmentFormat.NO_STRING : t.length))
                .putShort((short) (n == null ? SegmentFormat.NO_STRING : n.length))
                .put(src.slice(dataOff, dataLen + metaLen));
        if (t != null) {
            block.put(t);
            tagged.add(new Tagged(t, seq, dataLen + metaLen));
        }
        if (n != null) {
            block.put(n);
        }
        blockRecords++;
        count++;
        lastSeq = seq;
        payloadBytes += dataLen + metaLen;
    }

    /** Records added so far. */
    public long count() {
        return count;
    }

    /** Bytes the file holds so far, the unflushed block included. */
    public long bytes() {
        return position + block.position();
    }

    /**
     * Writes the index, the tag section and the footer, forces the file, renames it into place
     * and forces the directory. Returns what a snapshot must remember of it.
     */
    public SegmentInfo seal() throws IOException {
        if (count == 0) {
            throw new IllegalStateException("an empty segment cannot be sealed");
        }
        flushBlock();
        long indexOffset = position;
        index.flip();
        int indexCrc = SegmentFormat.crc(index, 0, index.limit());
        file.write(index, position);
        position += index.limit();
        ByteBuffer bloom = writeTagBlocks();
        long tagIndexOffset = position;
        int tagIndexCrc = writeSection(tagIndex);
        long bloomOffset = position;
        int bloomCrc = writeSection(bloom);
        ByteBuffer f = ByteBuffer.allocate(SegmentFormat.FOOTER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        f.putLong(indexOffset).putInt(blocks).putInt((int) count).putLong(firstSeq).putLong(lastSeq)
                .putLong(payloadBytes).putInt(indexCrc).putLong(tagIndexOffset).putInt(tagBlocks).putInt(tagIndexCrc)
                .putLong(bloomOffset).putInt(bloomCrc);
        f.putInt(SegmentFormat.crc(f, 0, f.position())).putInt(SegmentFormat.FOOTER_MAGIC).flip();
        file.write(f, position);
        position += SegmentFormat.FOOTER_BYTES;
        file.force();
        file.close();
        fs.rename(temp, dir.resolve(SegmentFormat.name(firstSeq, SegmentFormat.SUFFIX)));
        fs.forceDirectory(dir);
        sealed = true;
        return new SegmentInfo(firstSeq, lastSeq, count, payloadBytes, position);
    }

    /** Abandons an unsealed segment: its temporary file is removed. */
    @Override
    public void close() throws IOException {
        if (!sealed) {
            file.close();
            fs.delete(temp);
        }
    }

    private void flushBlock() throws IOException {
        if (blockRecords == 0) {
            return;
        }
        block.flip();
        int length = block.limit();
        int crc = SegmentFormat.crc(block, 0, length);
        file.write(block, position);
        index = SegmentFormat.ensure(index, SegmentFormat.INDEX_ENTRY_BYTES);
        index.putLong(blockFirstSeq).putLong(position).putInt(length).putInt(blockRecords).putInt(crc);
        position += length;
        blocks++;
        blockRecords = 0;
        block.clear();
    }

    /** Writes {@code b} (filled, not flipped) at the end of the file; returns its CRC. */
    private int writeSection(ByteBuffer b) throws IOException {
        b.flip();
        int crc = SegmentFormat.crc(b, 0, b.limit());
        file.write(b, position);
        position += b.limit();
        return crc;
    }

    /**
     * Writes the tagged records' entries grouped by tag, in blocks, fills {@link #tagIndex} and
     * returns the bloom section (both empty without tags).
     */
    private ByteBuffer writeTagBlocks() throws IOException {
        if (tagged.isEmpty()) {
            return ByteBuffer.allocate(0);
        }
        // Unsigned bytes, so the tags with a prefix are one run; the sort is stable, so each
        // tag's seqs stay ascending.
        tagged.sort((a, b) -> Arrays.compareUnsigned(a.tag, b.tag));
        int distinct = 1;
        for (int i = 1; i < tagged.size(); i++) {
            distinct += Arrays.equals(tagged.get(i - 1).tag, tagged.get(i).tag) ? 0 : 1;
        }
        long[] bloom = new long[TagBloom.words(distinct)];
        ByteBuffer b = ByteBuffer.allocate(SegmentFormat.TAG_BLOCK_TARGET_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        byte[] firstTag = null;
        int i = 0;
        while (i < tagged.size()) {
            byte[] tag = tagged.get(i).tag;
            int header = SegmentFormat.TAG_GROUP_FIXED_BYTES + tag.length;
            if (b.position() > 0 && b.position() + header + SegmentFormat.TAG_ENTRY_BYTES
                    > SegmentFormat.TAG_BLOCK_TARGET_BYTES) {
                flushTagBlock(b, firstTag);
            }
            if (b.position() == 0) {
                firstTag = tag;
            }
            // as many of this tag's entries as fit the block, at least one
            int room = Math.max(1,
                    (SegmentFormat.TAG_BLOCK_TARGET_BYTES - b.position() - header) / SegmentFormat.TAG_ENTRY_BYTES);
            int n = 0;
            while (n < room && i + n < tagged.size() && Arrays.equals(tagged.get(i + n).tag, tag)) {
                n++;
            }
            b = SegmentFormat.ensure(b, header + n * SegmentFormat.TAG_ENTRY_BYTES);
            b.putShort((short) tag.length).put(tag).putInt(n);
            for (int end = i + n; i < end; i++) {
                b.putLong(tagged.get(i).seq).putInt(tagged.get(i).payloadBytes);
            }
            TagBloom.add(bloom, tag);
        }
        flushTagBlock(b, firstTag);
        byte[] last = tagged.getLast().tag;
        tagIndex = SegmentFormat.ensure(tagIndex, 2 + last.length);
        tagIndex.putShort((short) last.length).put(last);
        ByteBuffer words = ByteBuffer.allocate(bloom.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        words.asLongBuffer().put(bloom);
        return words.position(words.capacity());
    }

    private void flushTagBlock(ByteBuffer b, byte[] firstTag) throws IOException {
        b.flip();
        int length = b.limit();
        int crc = SegmentFormat.crc(b, 0, length);
        file.write(b, position);
        tagIndex = SegmentFormat.ensure(tagIndex, SegmentFormat.TAG_INDEX_ENTRY_FIXED_BYTES + firstTag.length);
        tagIndex.putLong(position).putInt(length).putInt(crc).putShort((short) firstTag.length).put(firstTag);
        position += length;
        tagBlocks++;
        b.clear();
    }
}
