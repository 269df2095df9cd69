package io.topics.api.spi.coldtier;

import java.io.InputStream;
import java.nio.file.Path;

/**
 * An open cold-tier store holding immutable sealed segments by key. Keys are relative,
 * slash-separated paths made of {@code [A-Za-z0-9._-]} segments, e.g. {@code "17/1000.seg"}.
 *
 * <p>All methods may be called concurrently from several threads, for different keys and for
 * the same key. Segments are immutable: a key is written once with one content.
 */
public interface ColdTierStore extends AutoCloseable {
    /**
     * Copies the file at {@code source} into the store under {@code key}. Idempotent: putting a
     * key that already exists with the same content succeeds. When this returns, the segment is
     * durable in the store and {@link #open} returns its full content; a failed put leaves no
     * partial object visible under {@code key}.
     */
    void put(String key, Path source) throws ColdTierException;

    /**
     * Opens the segment stored under {@code key} for reading. The caller closes the stream.
     *
     * @throws ColdTierException when the key does not exist or cannot be read; the message
     *                           says which
     */
    InputStream open(String key) throws ColdTierException;

    /**
     * Whether a segment is stored under {@code key}.
     */
    boolean exists(String key) throws ColdTierException;

    /**
     * Removes the segment stored under {@code key}. Deleting an absent key is not an error:
     * it returns {@code false}. Returns {@code true} when something was removed.
     */
    boolean delete(String key) throws ColdTierException;

    /** Releases resources. Idempotent; no other method is called afterwards. */
    @Override
    void close() throws ColdTierException;
}
