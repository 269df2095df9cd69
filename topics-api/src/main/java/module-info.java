/**
 * The public surface of topics: value types, the error model and the three plugin SPIs
 * (durability class, cold-tier storage, auth provider). JDK only, no third-party dependencies,
 * so plugin authors compile against this module alone.
 */
module io.topics.api {
    exports io.topics.api;
    exports io.topics.api.spi.durability;
    exports io.topics.api.spi.coldtier;
    exports io.topics.api.spi.auth;
}
