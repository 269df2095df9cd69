package io.topics.wal;

import java.io.IOException;

/**
 * The WAL refuses writes because an earlier write or force failed: after a failed
 * {@code force()} nothing later may be trusted (a later success can lie), so the data
 * directory stays read-only until a restart recovers it.
 */
public final class WalFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public WalFailedException(String message, IOException cause) {
        super(message, cause);
    }
}
