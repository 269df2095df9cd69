/**
 * An example third-party cold tier: {@code mem:}, which keeps segments in process memory.
 * Useful for tests and demos, and as the template for real plugins (S3, GCS ...).
 */
module io.topics.plugins.example {
    requires io.topics.api;

    provides io.topics.api.spi.coldtier.ColdTierProvider with io.topics.plugins.example.MemColdTierProvider;
}
