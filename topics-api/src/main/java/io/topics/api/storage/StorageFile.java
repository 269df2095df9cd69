package io.topics.api.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** An open file of a {@link Storage}. Not thread-safe unless said otherwise by the storage. */
public interface StorageFile extends Closeable {
    /** Reads into {@code dst} from {@code position}; returns the bytes read, -1 at the end. */
    int read(ByteBuffer dst, long position) throws IOException;

    /**
     * Reads from {@code position} until {@code dst} is full or the file ends (looping over
     * short reads); {@code dst}'s position tells how far it got.
     */
    default void readFully(ByteBuffer dst, long position) throws IOException {
        long p = position;
        while (dst.hasRemaining()) {
            int n = read(dst, p);
            if (n < 0) {
                return;
            }
            p += n;
        }
    }

    /** Writes all of {@code src} at {@code position} (looping over short writes). */
    void write(ByteBuffer src, long position) throws IOException;

    long size() throws IOException;

    /** Cuts the file to {@code size} bytes (a no-op when it is shorter). */
    void truncate(long size) throws IOException;

    /** Makes every write to this file durable. A failure means some of them may be lost. */
    void force() throws IOException;
}
