package io.topics.segments;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.zip.CRC32C;

import io.topics.api.storage.StorageFile;

/**
 * The segment file layout, version 3, little-endian (docs/STORAGE.md has the table):
 *
 * <pre>
 * header  32 B   magic "TSEG", version u16, 0 u16, topic id i64, first seq i64, CRC32C of bytes 0..23 i32, 0 i32
 * blocks         records back to back; a block is the unit of the index and of the checksum
 *   record       seq i64, ts i64, data length i32, meta length i32, tag length u16, node length u16
 *                (0xFFFF = absent), data, meta, tag UTF-8, node UTF-8
 * index          per block: first seq i64, offset i64, length i32, records i32, CRC32C of the block i32
 * tag blocks     groups sorted by tag (UTF-8 bytes compared unsigned), a block closes at 16 KiB
 *   group        tag length u16, tag UTF-8, count i32 (at least 1), count entries ascending by seq:
 *                seq i64, payload bytes (data + meta length) i32; a tag whose entries do not fit
 *                continues in a group of the same tag in the next block
 * tag index      per tag block: offset i64, length i32, CRC32C of the block i32, first tag length u16,
 *                first tag UTF-8; then the last tag of the last block: length u16, UTF-8
 * bloom          64-bit words over the distinct tags ({@link TagBloom})
 * footer  80 B   index offset i64, blocks i32, records i32, first seq i64, last seq i64,
 *                payload bytes i64, CRC32C of the index i32, tag index offset i64, tag blocks i32,
 *                CRC32C of the tag index i32, bloom offset i64, CRC32C of the bloom i32,
 *                CRC32C of the footer so far i32, magic "TSGF"
 * </pre>
 *
 * The tag blocks start right after the index and end at the tag index, which ends at the
 * bloom, which ends at the footer; a segment without tags has none of them (0 tag blocks, tag
 * index offset = bloom offset = footer offset).
 */
final class SegmentFormat {
    static final int MAGIC = 0x47455354; // "TSEG" read little-endian
    static final int FOOTER_MAGIC = 0x46475354; // "TSGF"
    static final short VERSION = 3;
    static final int HEADER_BYTES = 32;
    static final int FOOTER_BYTES = 80;
    static final int INDEX_ENTRY_BYTES = 28;
    static final int RECORD_FIXED_BYTES = 28;
    static final int NO_STRING = 0xFFFF;
    /** Blocks close at this size, so a read of old data touches a few pages, not the file. */
    static final int BLOCK_TARGET_BYTES = 32 << 10;
    /** Smaller than record blocks: a lookup of one tag reads one or two of them. */
    static final int TAG_BLOCK_TARGET_BYTES = 16 << 10;
    static final int TAG_GROUP_FIXED_BYTES = 6;
    /** A tag group's entry: seq i64, payload bytes i32. */
    static final int TAG_ENTRY_BYTES = 12;
    static final int TAG_INDEX_ENTRY_FIXED_BYTES = 18;
    static final String SUFFIX = ".seg";
    static final String TEMP_SUFFIX = ".seg.tmp";

    private SegmentFormat() {
    }

    /** Segment and snapshot files are named by a zero-padded number, so names sort like numbers. */
    static String name(long n, String suffix) {
        return String.format("%020d", n) + suffix;
    }

    /** The number a file's name carries before {@code suffix}, or -1 when it is not such a name. */
    static long number(Path file, String suffix) {
        String n = file.getFileName().toString();
        if (!n.endsWith(suffix) || n.length() != 20 + suffix.length()) {
            return -1;
        }
        try {
            return Long.parseLong(n, 0, 20, 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Reads up to {@code n} bytes from {@code at}; fewer only at the end of the file. */
    static ByteBuffer readFully(StorageFile f, long at, int n) throws IOException {
        return readFully(f, at, n, null);
    }

    /** Like {@link #readFully(StorageFile, long, int)}, into {@code reuse} when it is big enough. */
    static ByteBuffer readFully(StorageFile f, long at, int n, ByteBuffer reuse) throws IOException {
        ByteBuffer b = reuse != null && reuse.capacity() >= n
                ? reuse.clear().limit(n) : ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        f.readFully(b, at);
        return b.flip();
    }

    /** {@code b}, or a bigger copy of it when fewer than {@code more} bytes remain. */
    static ByteBuffer ensure(ByteBuffer b, int more) {
        if (b.remaining() >= more) {
            return b;
        }
        return ByteBuffer.allocate(Math.max(b.position() + more, b.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN)
                .put(b.flip());
    }

    static int crc(ByteBuffer b, int from, int to) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate().limit(to).position(from));
        return (int) c.getValue();
    }
}
