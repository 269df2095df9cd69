package io.topics.tiering;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

import io.topics.api.spi.coldtier.ColdTierException;
import io.topics.api.spi.coldtier.ColdTierProvider;
import io.topics.api.spi.coldtier.ColdTierStore;

/** {@code file:}: a cold tier in a local (or mounted) directory. */
public final class LocalDirColdTierProvider implements ColdTierProvider {
    @Override
    public String scheme() {
        return "file";
    }

    @Override
    public ColdTierStore open(URI location, Map<String, String> config) throws ColdTierException {
        Objects.requireNonNull(location, "location is null");
        if (!"file".equals(location.getScheme())) {
            throw new ColdTierException("not a file: URI: " + location);
        }
        Path root = Path.of(location);
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new ColdTierException("cannot create cold-tier directory " + root, e);
        }
        return new Store(root);
    }

    /** Each put is copy to a temp file, fsync, atomic rename, directory fsync. */
    static final class Store implements ColdTierStore {
        private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");

        private final Path root;

        Store(Path root) {
            this.root = root;
        }

        @Override
        public void put(String key, Path source) throws ColdTierException {
            Path target = resolve(key);
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + Thread.currentThread().threadId());
            try {
                Files.createDirectories(target.getParent());
                Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new ColdTierException("cold-tier directory does not support atomic rename: " + root, e);
                }
                forceDirectory(target.getParent());
            } catch (IOException e) {
                deleteQuietly(tmp);
                throw new ColdTierException("cannot put " + key + " into " + root, e);
            }
        }

        @Override
        public InputStream open(String key) throws ColdTierException {
            try {
                return Files.newInputStream(resolve(key));
            } catch (NoSuchFileException e) {
                throw new ColdTierException("no segment " + key + " in " + root, e);
            } catch (IOException e) {
                throw new ColdTierException("cannot read " + key + " from " + root, e);
            }
        }

        @Override
        public boolean exists(String key) throws ColdTierException {
            return Files.isRegularFile(resolve(key));
        }

        @Override
        public boolean delete(String key) throws ColdTierException {
            try {
                return Files.deleteIfExists(resolve(key));
            } catch (IOException e) {
                throw new ColdTierException("cannot delete " + key + " from " + root, e);
            }
        }

        @Override
        public void close() {
            // nothing held open between calls
        }

        private Path resolve(String key) throws ColdTierException {
            if (key == null || !KEY.matcher(key).matches() || key.contains("..")) {
                throw new ColdTierException("invalid cold-tier key: " + key);
            }
            return root.resolve(key);
        }

        private static void forceDirectory(Path dir) throws IOException {
            try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
                ch.force(true);
            }
        }

        private static void deleteQuietly(Path p) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // best effort: a stray temp file is never read as a segment
            }
        }
    }
}
