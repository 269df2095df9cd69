package io.topics.wal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * One WAL frame, and its on-disk layout (little-endian):
 *
 * <pre>
 * offset size
 *  0     4    length: bytes after this field (checksum .. end of payload), at least 40
 *  4     4    CRC32C of bytes 8 .. end of payload
 *  8     1    type ({@link FrameType} code)
 *  9     1    flags
 * 10     2    reserved, 0
 * 12     8    lsn: the frame's position in the global log order, across all shards
 * 20     8    topic id
 * 28     8    seq
 * 36     8    timestamp, ms since the epoch
 * 44     ...  payload
 * </pre>
 *
 * A length of 0 marks the end of the written log (preallocated, zero-filled space).
 *
 * @param payload read-only view; during replay it is only valid inside the callback
 */
public record Frame(long lsn, FrameType type, int flags, long topicId, long seq, long ts, ByteBuffer payload) {
    public static final int HEADER_BYTES = 44;
    /** Bytes covered by the length field besides the payload. */
    static final int FIXED_AFTER_LENGTH = HEADER_BYTES - 4;
    /** Largest payload a frame may carry; larger lengths on disk are garbage, not allocations. */
    public static final int MAX_PAYLOAD = 64 << 20;

    /** The {@link FrameType#SEAL} frame that closes a file: header only. */
    static ByteBuffer seal(long ts) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
        new Frame(0, FrameType.SEAL, 0, 0, 0, ts, ByteBuffer.allocate(0)).encode(b);
        return b.flip();
    }

    public int encodedSize() {
        return HEADER_BYTES + payload.remaining();
    }

    /** Appends this frame to {@code out} (which must have room), checksum included. */
    void encode(ByteBuffer out) {
        int start = out.position();
        ByteBuffer p = payload.duplicate();
        out.order(ByteOrder.LITTLE_ENDIAN)
                .putInt(FIXED_AFTER_LENGTH + p.remaining())
                .putInt(0) // checksum, patched below
                .put(type.code())
                .put((byte) flags)
                .putShort((short) 0)
                .putLong(lsn)
                .putLong(topicId)
                .putLong(seq)
                .putLong(ts)
                .put(p);
        out.putInt(start + 4, checksum(out, start + 8, out.position()));
    }

    static int checksum(ByteBuffer buf, int from, int to) {
        CRC32C crc = new CRC32C();
        crc.update(buf.duplicate().limit(to).position(from));
        return (int) crc.getValue();
    }
}
