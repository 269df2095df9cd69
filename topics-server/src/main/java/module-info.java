/**
 * The topics server: the engine (topic registry, seq assignment, reads), the thin Helidon SE
 * HTTP edge, configuration, plugin loading and the Dagger component that wires them.
 */
module io.topics.server {
    requires io.topics.api;
    requires io.topics.wal;
    requires io.topics.segments;
    requires io.topics.tiering;

    requires io.helidon.webserver;
    requires com.fasterxml.jackson.core;
    requires dagger;
    requires jakarta.inject;
    requires java.logging;
    requires jdk.management; // the open-file limit the connection cap stays below
    requires static java.net.http; // read by the tests, which run patched into this module
    requires jdk.unsupported; // sun.misc.Signal: exit 0 on SIGTERM after a clean shutdown

    uses io.topics.api.spi.durability.DurabilityClassProvider;
    uses io.topics.api.spi.coldtier.ColdTierProvider;
    uses io.topics.api.spi.auth.AuthProvider;

    exports io.topics.server;
    exports io.topics.server.engine;
    exports io.topics.server.wiring;
    exports io.topics.server.watch;
}
