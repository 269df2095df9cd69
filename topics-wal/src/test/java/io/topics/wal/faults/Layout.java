package io.topics.wal.faults;

import io.topics.wal.FrameType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The WAL's on-disk layout, written down again from the Javadoc of {@code Frame} and
 * {@code WalFiles} rather than borrowed from them: the tests craft garbage and expected bytes
 * with it, so a silent format change fails here too.
 */
final class Layout {
    static final Path DATA = Path.of("/data");
    static final Path WAL = DATA.resolve("wal");
    static final String SPARE = "spare.tmp";
    static final int FILE_HEADER = 32;
    static final int FRAME_HEADER = 44;
    /** Bytes covered by the length field besides the payload. */
    static final int FIXED = FRAME_HEADER - 4;
    static final int MAGIC = 0x4C575054;

    private Layout() {
    }

    static Path shardDir(int shard) {
        return WAL.resolve("shard-" + shard);
    }

    static Path file(int shard, long firstLsn) {
        return shardDir(shard).resolve(String.format("%020d.wal", firstLsn));
    }

    static boolean isWalFile(Path p) {
        Path name = p.getFileName();
        return name != null && name.toString().endsWith(".wal");
    }

    static boolean isSpare(Path p) {
        Path name = p.getFileName();
        return name != null && name.toString().equals(SPARE);
    }

    static ByteBuffer le(int capacity) {
        return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    static int crc(byte[] b, int from, int to) {
        CRC32C c = new CRC32C();
        c.update(b, from, to - from);
        return (int) c.getValue();
    }

    /** One encoded frame. */
    static byte[] frame(long lsn, FrameType type, int flags, long topic, long seq, long ts, byte[] payload) {
        return frame(lsn, type.code(), flags, topic, seq, ts, payload);
    }

    static byte[] frame(long lsn, byte typeCode, int flags, long topic, long seq, long ts, byte[] payload) {
        ByteBuffer b = le(FRAME_HEADER + payload.length);
        b.putInt(FIXED + payload.length).putInt(0).put(typeCode).put((byte) flags).putShort((short) 0)
                .putLong(lsn).putLong(topic).putLong(seq).putLong(ts).put(payload);
        byte[] a = b.array();
        b.putInt(4, crc(a, 8, a.length));
        return a;
    }

    static byte[] fileHeader(int shard, long firstLsn, long ms) {
        ByteBuffer b = le(FILE_HEADER);
        b.putInt(MAGIC).putShort((short) 1).putShort((short) shard).putLong(firstLsn).putLong(ms).putInt(0);
        b.putInt(28, crc(b.array(), 0, 28));
        return b.array();
    }

    /** The payload the model appends: its 8-byte id (little-endian), then a pattern derived from it. */
    static byte[] payload(long id, int size) {
        if (size < 8) {
            throw new IllegalArgumentException("a model payload carries its 8-byte id");
        }
        byte[] p = new byte[size];
        le(8).putLong(0, id).get(0, p, 0, 8);
        for (int i = 8; i < size; i++) {
            p[i] = (byte) (id * 31 + i * 7);
        }
        return p;
    }

    static byte[] le32(int v) {
        return le(4).putInt(0, v).array();
    }

    /** A frame found in a file by {@link #frames}. */
    record At(long offset, int length, long lsn, long topic, long seq, long id) {
        long end() {
            return offset + 4 + length;
        }
    }

    /** The valid frames of a whole WAL file, from its header to the first invalid one. */
    static List<At> frames(byte[] file) {
        List<At> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int at = FILE_HEADER;
        while (at + FRAME_HEADER <= file.length) {
            int len = b.getInt(at);
            if (len < FIXED || at + 4L + len > file.length || b.getInt(at + 4) != crc(file, at + 8, at + 4 + len)) {
                break;
            }
            long id = len >= FIXED + 8 ? b.getLong(at + FRAME_HEADER) : -1;
            out.add(new At(at, len, b.getLong(at + 12), b.getLong(at + 20), b.getLong(at + 28), id));
            at += 4 + len;
        }
        return out;
    }
}
