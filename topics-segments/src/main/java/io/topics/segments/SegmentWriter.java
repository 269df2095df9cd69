package io.topics.segments;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import io.topics.api.storage.Storage;
import io.topics.api.storage.StorageFile;

/**
 * Writes one segment: records in seq order, then {@link #seal()}. The file is written under a
 * temporary name and forced before it is renamed into place and the directory is forced, so a
 * segment file under its final name is always whole and its index never points at bytes that
 * are not durable. {@link #close()} without a seal removes the temporary file.
 */
public final class SegmentWriter implements AutoCloseable {
    private final Storage fs;
    private final Path dir;
    private final Path temp;
    private final StorageFile file;
    private final long firstSeq;
    private ByteBuffer block = ByteBuffer.allocate(SegmentFormat.BLOCK_TARGET_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private ByteBuffer index = ByteBuffer.allocate(SegmentFormat.INDEX_ENTRY_BYTES * 64).order(ByteOrder.LITTLE_ENDIAN);
    private long position = SegmentFormat.HEADER_BYTES;
    private long blockFirstSeq;
    private int blockRecords;
    private int blocks;
    private long count;
    private long lastSeq;
    private long payloadBytes;
    private boolean sealed;

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
        if (block.remaining() < size) {
            block = ByteBuffer.allocate(Math.max(size, block.capacity())).order(ByteOrder.LITTLE_ENDIAN)
                    .put(block.flip());
        }
        if (blockRecords == 0) {
            blockFirstSeq = seq;
        }
        block.putLong(seq).putLong(ts).putInt(dataLen).putInt(metaLen)
                .putShort((short) (t == null ? SegmentFormat.NO_STRING : t.length))
                .putShort((short) (n == null ? SegmentFormat.NO_STRING : n.length))
                .put(src.slice(dataOff, dataLen + metaLen));
        if (t != null) {
            block.put(t);
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
     * Writes the index and footer, forces the file, renames it into place and forces the
     * directory. Returns what a snapshot must remember of it.
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
        ByteBuffer f = ByteBuffer.allocate(SegmentFormat.FOOTER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        f.putLong(indexOffset).putInt(blocks).putInt((int) count).putLong(firstSeq).putLong(lastSeq)
                .putLong(payloadBytes).putInt(indexCrc);
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
        if (index.remaining() < SegmentFormat.INDEX_ENTRY_BYTES) {
            index = ByteBuffer.allocate(index.capacity() * 2).order(ByteOrder.LITTLE_ENDIAN).put(index.flip());
        }
        index.putLong(blockFirstSeq).putLong(position).putInt(length).putInt(blockRecords).putInt(crc);
        position += length;
        blocks++;
        blockRecords = 0;
        block.clear();
    }
}
