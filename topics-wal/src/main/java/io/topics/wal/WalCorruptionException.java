package io.topics.wal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The WAL holds damage that is not a torn tail: a bad file header, or a bad frame followed by
 * more log. Recovery stops and says where, rather than serve a silently shorter log.
 */
public final class WalCorruptionException extends IOException {
    private static final long serialVersionUID = 1L;

    public WalCorruptionException(Path file, long offset, String what) {
        super("WAL corrupt at " + file + " offset " + offset + ": " + what);
    }
}
