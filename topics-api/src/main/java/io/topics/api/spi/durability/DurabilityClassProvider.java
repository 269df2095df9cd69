package io.topics.api.spi.durability;

/**
 * A durability class: how much crash safety a write to a topic buys (spec §3). Topics name
 * their class in {@code config.durability}; the server resolves the name against every
 * provider found through {@link java.util.ServiceLoader} at start-up.
 *
 * <p>Contract for implementers:
 * <ul>
 *   <li>{@link #name()} is unique among all providers loaded by one server; a duplicate fails
 *       start-up. It is lower-case and stable: it is stored in topic configs.</li>
 *   <li>Every method is a pure, constant answer: it is called from any thread, at any time,
 *       and must not block or throw.</li>
 *   <li>The provider class is public with a public no-argument constructor (or a public static
 *       {@code provider()} method), and is declared both with {@code provides} in
 *       module-info and in {@code META-INF/services}, so it loads on the module path and on the
 *       class path.</li>
 * </ul>
 */
public interface DurabilityClassProvider {
    /** The class name used in topic configs, e.g. {@code "fsync"}. */
    String name();

    /** When a write of this class is acknowledged and becomes readable. */
    AckPoint ackPoint();

    /**
     * Whether record appends and deletes go to the write-ahead log. {@code false} means the
     * records live in memory only and are gone after a restart by design; the topic's config
     * and its reserved head are persisted either way, so seqs are never reused.
     */
    boolean logsRecords();
}
