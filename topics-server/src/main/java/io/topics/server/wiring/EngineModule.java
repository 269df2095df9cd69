package io.topics.server.wiring;

import java.time.InstantSource;

import dagger.Module;
import dagger.Provides;
import io.topics.api.storage.Storage;
import io.topics.server.engine.Checkpoints;
import io.topics.server.engine.Engine;
import io.topics.server.engine.EngineLimits;
import io.topics.server.engine.WalJournal;
import jakarta.inject.Singleton;

@Module
final class EngineModule {
    private EngineModule() {
    }

    /** The share of the JVM's memory that payloads held in memory may fill. */
    static final double IN_MEMORY_SHARE = 0.4;

    @Provides
    @Singleton
    static Engine engine(ServerConfig config, InstantSource clock, PluginRegistry plugins, WalJournal journal) {
        EngineLimits limits = config.engineLimits();
        long memory = inMemoryCap(Runtime.getRuntime().maxMemory());
        return new Engine(clock, new EngineLimits(limits.maxTopics(), limits.maxTotalBytes(), memory, limits.commitWaitMs()),
                plugins.durabilityClasses(), journal);
    }

    @Provides
    @Singleton
    static Checkpoints checkpoints(ServerConfig config, InstantSource clock, Engine engine, WalJournal journal,
                                   Storage storage) {
        return new Checkpoints(engine, journal, storage, config.dataDir(), config.checkpoints(), clock);
    }

    @Provides
    @Singleton
    static WalJournal journal() {
        return new WalJournal();
    }

    /**
     * Unsealed tails and ephemeral topics live in memory, so the bytes held there are capped
     * below what the JVM can hold: a server whose checkpoints fall behind answers {@code 429},
     * never an out-of-memory {@code 500}.
     */
    static long inMemoryCap(long jvmMaxMemory) {
        return (long) (jvmMaxMemory * IN_MEMORY_SHARE);
    }
}
