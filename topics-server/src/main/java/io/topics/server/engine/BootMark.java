package io.topics.server.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import io.topics.api.storage.Storage;
import io.topics.api.storage.StorageFile;

/**
 * {@code <data dir>/boot}: the machine's boot id as of the last start (UTF-8). A start that
 * finds its own boot id knows the last run ended with the OS alive (a killed process: every
 * byte it wrote is there); any other start must assume a power loss took unforced bytes.
 */
final class BootMark {
    private static final String NAME = "boot";
    private static final int MAX_BYTES = 256;

    private BootMark() {
    }

    /** Whether the last run's mark names the boot we are in now. */
    static boolean sameBoot(Storage fs, Path dataDir) throws IOException {
        Path file = dataDir.resolve(NAME);
        if (!fs.exists(file)) {
            return false;
        }
        ByteBuffer b = ByteBuffer.allocate(MAX_BYTES);
        try (StorageFile f = fs.open(file, false)) {
            f.readFully(b, 0);
        }
        b.flip();
        return StandardCharsets.UTF_8.decode(b).toString().equals(fs.bootId());
    }

    /** Marks this boot: temp file, force, rename, force the directory. */
    static void write(Storage fs, Path dataDir) throws IOException {
        ByteBuffer b = StandardCharsets.UTF_8.encode(fs.bootId());
        if (b.remaining() > MAX_BYTES) {
            throw new IOException("boot id longer than " + MAX_BYTES + " bytes");
        }
        Path temp = dataDir.resolve(NAME + ".tmp");
        fs.delete(temp);
        try (StorageFile f = fs.open(temp, true)) {
            f.truncate(0);
            f.write(b, 0);
            f.force();
        }
        fs.rename(temp, dataDir.resolve(NAME));
        fs.forceDirectory(dataDir);
    }
}
