package io.topics.server.wiring;

import java.time.InstantSource;

import dagger.Module;
import dagger.Provides;
import io.topics.server.engine.Engine;
import io.topics.server.engine.EngineLimits;
import io.topics.server.engine.WalJournal;
import jakarta.inject.Singleton;

@Module
final class EngineModule {
    private EngineModule() {
    }

    /** The share of the JVM's memory that live payloads may fill while records are held in memory. */
    static final double IN_MEMORY_SHARE = 0.4;

    @Provides
    @Singleton
    static Engine engine(ServerConfig config, InstantSource clock, PluginRegistry plugins, WalJournal journal) {
        EngineLimits limits = config.engineLimits();
        long maxBytes = inMemoryCap(limits.maxTotalBytes(), Runtime.getRuntime().maxMemory());
        return new Engine(clock, new EngineLimits(limits.maxTopics(), maxBytes), plugins.durabilityClasses(), journal);
    }

    @Provides
    @Singleton
    static WalJournal journal() {
        return new WalJournal();
    }

    /**
     * Records live in memory (payloads off-heap, whose limit defaults to the heap's), so live
     * bytes are capped below what the JVM can hold even when {@code TOPICS_MAX_TOTAL_BYTES} is 0:
     * a full server answers {@code 429}, never an out-of-memory {@code 500}.
     */
    static long inMemoryCap(long configured, long jvmMaxMemory) {
        long ceiling = (long) (jvmMaxMemory * IN_MEMORY_SHARE);
        return configured > 0 ? Math.min(configured, ceiling) : ceiling;
    }
}
