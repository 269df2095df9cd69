package io.topics.api.spi.coldtier;

import java.net.URI;
import java.util.Map;

/**
 * A kind of cold-tier storage, selected by the scheme of the configured cold URI
 * ({@code file:}, {@code s3:} ...). Sealed segments that leave the hot tier are copied into the
 * {@link ColdTierStore} this provider opens.
 *
 * <p>Contract for implementers:
 * <ul>
 *   <li>{@link #scheme()} is unique among all loaded providers; a duplicate fails start-up.</li>
 *   <li>{@link #open} is called once per server start, from the start-up thread. It validates
 *       {@code location} and {@code config} and fails with a {@link ColdTierException} whose
 *       message says what is wrong; the server then refuses to start.</li>
 *   <li>Third-party providers are built against {@code topics-api} only and dropped into the
 *       plugins directory, one sub-directory per plugin. They run with their own class loader
 *       set as the thread context class loader.</li>
 * </ul>
 */
public interface ColdTierProvider {
    /** The URI scheme this provider serves, e.g. {@code "file"}. Lower-case. */
    String scheme();

    /**
     * Opens the store at {@code location}.
     *
     * @param location the full cold URI, whose scheme is {@link #scheme()}
     * @param config   provider settings ({@code cold.config.*} with the prefix removed); never null
     */
    ColdTierStore open(URI location, Map<String, String> config) throws ColdTierException;
}
