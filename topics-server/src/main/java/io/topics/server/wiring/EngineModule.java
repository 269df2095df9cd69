package io.topics.server.wiring;

import java.time.InstantSource;

import dagger.Module;
import dagger.Provides;
import io.topics.server.engine.Engine;
import jakarta.inject.Singleton;

@Module
final class EngineModule {
    private EngineModule() {
    }

    @Provides
    @Singleton
    static Engine engine(ServerConfig config, InstantSource clock, PluginRegistry plugins) {
        return new Engine(clock, config.engineLimits(), plugins.durabilityClasses().keySet());
    }
}
