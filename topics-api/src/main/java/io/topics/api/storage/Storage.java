package io.topics.api.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The file-system seam: every byte the WAL, segments and snapshots persist goes through this
 * interface, so tests can swap in a fake disk that loses unsynced writes, tears the last one
 * and fails chosen calls. Production uses {@link RealStorage}.
 *
 * <p>Durability model the engine relies on (and the fake disk enforces): a write is durable
 * only after {@link StorageFile#force()} on its file returned; a create, rename or delete is
 * durable only after {@link #forceDirectory} on the parent returned.
 */
public interface Storage {
    /** Opens a file for reading and writing, creating it empty when {@code create} and absent. */
    StorageFile open(Path file, boolean create) throws IOException;

    boolean exists(Path path);

    /** The entries of {@code dir}, sorted by name; empty when the directory does not exist. */
    List<Path> list(Path dir) throws IOException;

    void createDirectories(Path dir) throws IOException;

    /** Atomically renames {@code from} to {@code to}, replacing {@code to}. */
    void rename(Path from, Path to) throws IOException;

    /** Deletes a file; an absent file is not an error. */
    void delete(Path file) throws IOException;

    /** Makes creates, renames and deletes in {@code dir} durable. */
    void forceDirectory(Path dir) throws IOException;

    /**
     * An id of the machine's current boot: it changes whenever the machine restarts, so a
     * process that finds the id it wrote knows the OS kept every byte it had written (the
     * process was killed), and one that does not must assume a power loss.
     */
    String bootId() throws IOException;
}
