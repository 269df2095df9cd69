/**
 * The public surface of topics: value types, the error model and the three plugin SPIs
 * (durability class, cold-tier storage, auth provider), and the file-system seam every storage
 * component does its I/O through. JDK only, no third-party dependencies,
 * so plugin authors compile against this module alone.
 */
module io.topics.api {
    exports io.topics.api;
    exports io.topics.api.spi.durability;
    exports io.topics.api.spi.coldtier;
    exports io.topics.api.spi.auth;
    exports io.topics.api.storage;
}
