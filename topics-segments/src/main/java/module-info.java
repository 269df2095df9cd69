/**
 * Immutable segment files (sealed runs of one topic's records with a sparse seq index and
 * block checksums) and snapshot files with an atomic swap. The server's engine decides what
 * to seal and what a snapshot holds; this module owns the formats and the file-system order
 * that keeps them crash-safe. All I/O goes through the {@link io.topics.api.storage.Storage}
 * seam.
 */
module io.topics.segments {
    requires transitive io.topics.api;

    exports io.topics.segments;
}
