/**
 * The fake disk, fault injector and ordering monitor of the reliability design ("The harness we
 * want"), over the {@link io.topics.api.storage.Storage} seam every storage component does its
 * I/O through. {@link io.topics.testkit.storage.FakeStorage} keeps durable and pending bytes per
 * file and loses, or tears, what a crash would lose; {@link io.topics.testkit.storage.FaultInjector}
 * wraps any storage and fails the Nth call of a {@link io.topics.testkit.storage.StorageOp} kind
 * (EIO, ENOSPC, short write) or throws {@link io.topics.testkit.storage.SimulatedCrash} after a
 * crash point, for crash-point sweeps; {@link io.topics.testkit.storage.OrderingMonitor} records
 * every call and flags acks not covered by a force and renames of unforced files. Stack them
 * monitor → injector → fake disk. A test library for the engine's modules (topics-wal,
 * topics-segments, topics-server) and for plugin authors who do I/O through the seam; use it with
 * test scope, never in production code. New wrappers of the same kind extend
 * {@link io.topics.testkit.storage.ForwardingStorage} and
 * {@link io.topics.testkit.storage.ForwardingStorageFile} and override only the calls they watch.
 */
package io.topics.testkit.storage;
