/**
 * Hot-to-cold relocation of sealed segments and the built-in {@code file} cold tier.
 */
module io.topics.tiering {
    requires io.topics.api;
    requires io.topics.segments;

    exports io.topics.tiering;

    provides io.topics.api.spi.coldtier.ColdTierProvider with io.topics.tiering.LocalDirColdTierProvider;
}
