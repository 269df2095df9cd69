package io.topics.wal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Where WAL files live and their 32-byte header (little-endian):
 *
 * <pre>
 *  0  4  magic "TPWL"
 *  4  2  format version (1)
 *  6  2  shard number
 *  8  8  lsn of the first frame the file may hold
 * 16  8  creation time, ms since the epoch
 * 24  4  flags: bit 0 set on the first file a writer creates after a recovery
 * 28  4  CRC32C of bytes 0 .. 28
 * </pre>
 *
 * Files are {@code <wal dir>/shard-<n>/<first lsn, 20 digits>.wal}; frames follow the header.
 */
final class WalFiles {
    static final int HEADER_BYTES = 32;
    static final int MAGIC = 0x4C575054; // "TPWL" read little-endian
    static final short VERSION = 1;
    static final String SUFFIX = ".wal";
    static final String SHARD_PREFIX = "shard-";
    /** The file before this one ended a run, not a rotation: it carries no seal. */
    static final int FIRST_OF_RUN = 1;

    private WalFiles() {
    }

    static Path shardDir(Path walDir, int shard) {
        return walDir.resolve(SHARD_PREFIX + shard);
    }

    static String fileName(long firstLsn) {
        return String.format("%020d%s", firstLsn, SUFFIX);
    }

    /** The first lsn encoded in a file name, or -1 when the name is not a WAL file's. */
    static long firstLsn(Path file) {
        String n = file.getFileName().toString();
        if (!n.endsWith(SUFFIX) || n.length() != 20 + SUFFIX.length()) {
            return -1;
        }
        try {
            return Long.parseLong(n.substring(0, 20));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static ByteBuffer header(int shard, long firstLsn, long nowMs, int flags) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort(VERSION).putShort((short) shard).putLong(firstLsn).putLong(nowMs).putInt(flags);
        b.putInt(Frame.checksum(b, 0, 28));
        return b.flip();
    }

    static int flags(ByteBuffer header) {
        return header.order(ByteOrder.LITTLE_ENDIAN).getInt(24);
    }

    /** Null when {@code b} (32 bytes) is a valid header, else what is wrong with it. */
    static String checkHeader(ByteBuffer b, long expectedFirstLsn) {
        b.order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < HEADER_BYTES) {
            return "short header";
        }
        if (b.getInt(0) != MAGIC) {
            return "bad magic";
        }
        if (b.getInt(28) != Frame.checksum(b, 0, 28)) {
            return "header checksum mismatch";
        }
        if (b.getShort(4) != VERSION) {
            return "unsupported version " + b.getShort(4);
        }
        if (b.getLong(8) != expectedFirstLsn) {
            return "header lsn " + b.getLong(8) + " does not match the file name";
        }
        return null;
    }
}
