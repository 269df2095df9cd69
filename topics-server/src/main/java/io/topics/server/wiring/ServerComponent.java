package io.topics.server.wiring;

import java.time.InstantSource;

import dagger.BindsInstance;
import dagger.Component;
import io.helidon.webserver.WebServer;
import io.topics.api.spi.auth.Authenticator;
import io.topics.api.storage.Storage;
import io.topics.server.engine.Checkpoints;
import io.topics.server.engine.Engine;
import io.topics.server.engine.WalJournal;
import io.topics.server.http.ServerState;
import io.topics.server.http.Connections;
import io.topics.server.watch.WatchSessions;
import io.topics.server.watch.WriteDeadline;
import jakarta.inject.Singleton;

/** Assembles the engine and the Helidon server from the settings, the clock, the plugins and the disk. */
@Singleton
@Component(modules = {EngineModule.class, HttpModule.class})
interface ServerComponent {
    Engine engine();

    WalJournal journal();

    Checkpoints checkpoints();

    ServerState state();

    WebServer webServer();

    WriteDeadline writeDeadline();

    WatchSessions watchSessions();

    Connections connections();

    Authenticator authenticator();

    @Component.Factory
    interface Factory {
        ServerComponent create(@BindsInstance ServerConfig config, @BindsInstance InstantSource clock,
                               @BindsInstance PluginRegistry plugins, @BindsInstance Storage storage);
    }

    static ServerComponent create(ServerConfig config, InstantSource clock, PluginRegistry plugins, Storage storage) {
        return DaggerServerComponent.factory().create(config, clock, plugins, storage);
    }
}
