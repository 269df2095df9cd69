package io.topics.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

import io.topics.api.storage.Storage;
import io.topics.api.storage.StorageFile;

/**
 * {@code <wal dir>/truncated}: the lsn below which WAL files may have been deleted. Written
 * (atomically, durably) before the first file goes, so recovery can tell a WAL that holds the
 * whole history from one that needs a snapshot covering everything below the mark.
 *
 * <pre>
 * magic "TPWT" u32, lsn i64, CRC32C of the first 12 bytes u32   (16 bytes, little-endian)
 * </pre>
 */
final class TruncationMark {
    static final String NAME = "truncated";
    private static final int MAGIC = 0x54575054; // "TPWT"
    private static final int BYTES = 16;

    private TruncationMark() {
    }

    /** The mark's lsn, or {@code Long.MIN_VALUE} when the WAL was never truncated. */
    static long read(Storage fs, Path walDir) throws IOException {
        Path file = walDir.resolve(NAME);
        if (!fs.exists(file)) {
            return Long.MIN_VALUE;
        }
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try (StorageFile f = fs.open(file, false)) {
            f.readFully(b, 0);
        }
        b.flip();
        if (b.remaining() != BYTES || b.getInt(0) != MAGIC || b.getInt(12) != Frame.checksum(b, 0, 12)) {
            throw new WalCorruptionException(file, 0, "damaged truncation mark");
        }
        return b.getLong(4);
    }

    /** Raises the mark to {@code lsn} (never lowers it): temp file, force, rename, force the directory. */
    static void raise(Storage fs, Path walDir, long lsn) throws IOException {
        if (read(fs, walDir) >= lsn) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putLong(lsn);
        b.putInt(Frame.checksum(b, 0, 12)).flip();
        Path temp = walDir.resolve(NAME + ".tmp");
        fs.delete(temp);
        try (StorageFile f = fs.open(temp, true)) {
            f.write(b, 0);
            f.force();
        }
        fs.rename(temp, walDir.resolve(NAME));
        fs.forceDirectory(walDir);
    }
}
