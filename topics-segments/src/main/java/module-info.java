/**
 * Immutable segment files, checkpointing from the WAL to segments, and snapshots. The formats
 * land with the durable storage engine; until then topics keep their records in the server's
 * in-memory tail.
 */
module io.topics.segments {
    requires io.topics.api;
}
