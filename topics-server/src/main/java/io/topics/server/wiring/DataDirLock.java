package io.topics.server.wiring;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The advisory single-writer lock on {@code <data dir>/.topics.lock}, taken before anything
 * else in the directory is touched. A previous server may still be finishing its shutdown, so
 * a held lock is retried for a while before giving up.
 */
final class DataDirLock implements AutoCloseable {
    static final String FILE = ".topics.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static DataDirLock acquire(Path dataDir, long retryMs) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve(FILE);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        long deadline = System.nanoTime() + retryMs * 1_000_000;
        try {
            while (true) {
                FileLock l;
                try {
                    l = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    l = null; // held by this very process
                }
                if (l != null) {
                    return new DataDirLock(ch, l);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("data directory " + dataDir.toAbsolutePath()
                            + " is locked by another topics server (" + file + ")");
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ch.close();
            throw new IllegalStateException("interrupted while waiting for " + file, e);
        } catch (RuntimeException | IOException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
