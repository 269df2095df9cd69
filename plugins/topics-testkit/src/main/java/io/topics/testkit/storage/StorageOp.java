package io.topics.testkit.storage;

/**
 * Every call of the {@link io.topics.api.storage.Storage} seam, by kind: the unit the
 * {@link FaultInjector} counts and fails and the {@link OrderingMonitor} records.
 */
public enum StorageOp {
    OPEN,
    EXISTS,
    LIST,
    CREATE_DIRECTORIES,
    RENAME,
    DELETE,
    FORCE_DIRECTORY,
    READ,
    WRITE,
    SIZE,
    TRUNCATE,
    FORCE,
    CLOSE
}
