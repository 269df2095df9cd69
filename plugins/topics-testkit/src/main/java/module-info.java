/**
 * The storage fault harness, for the engine's tests and for plugin authors: a fake disk that
 * loses what a power loss loses ({@code FakeStorage}), a fault injector that fails chosen seam
 * calls or crashes after the Nth one ({@code FaultInjector}) and an ordering monitor that checks
 * no ack comes before its covering force ({@code OrderingMonitor}), all over the
 * {@code io.topics.api.storage} seam. Add it with test scope.
 */
module io.topics.testkit {
    requires transitive io.topics.api;

    exports io.topics.testkit.storage;
}
