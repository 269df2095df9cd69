package io.topics.server.wiring;

import java.time.InstantSource;

import dagger.Module;
import dagger.Provides;
import io.helidon.webserver.WebServer;
import io.topics.api.spi.auth.Authenticator;
import io.topics.server.engine.Engine;
import io.topics.server.engine.WalJournal;
import io.topics.server.http.Connections;
import io.topics.server.http.Routes;
import io.topics.server.http.ServerState;
import io.topics.server.watch.WatchSessions;
import io.topics.server.watch.WriteDeadline;
import jakarta.inject.Singleton;

@Module
final class HttpModule {

    private HttpModule() {
    }

    @Provides
    @Singleton
    static ServerState state(InstantSource clock) {
        return new ServerState(clock.millis());
    }

    @Provides
    @Singleton
    static Authenticator authenticator(ServerConfig config, PluginRegistry plugins) {
        return plugins.auth(config.authProvider()).create(config.settings());
    }

    @Provides
    @Singleton
    static WriteDeadline writeDeadline(ServerConfig config, InstantSource clock) {
        return new WriteDeadline(clock, config.sseStallMs(), true);
    }

    @Provides
    @Singleton
    static WatchSessions watchSessions(ServerConfig config, InstantSource clock) {
        return new WatchSessions(clock, config.maxWatchSessions()).ticking(WATCH_TICK_MS);
    }

    /** The heartbeat granularity of waiting watch streams, and how soon they hear of a stop. */
    private static final long WATCH_TICK_MS = 100;

    @Provides
    @Singleton
    static Routes routes(Engine engine, ServerState state, Authenticator auth, ServerConfig config, InstantSource clock,
                         WalJournal journal, Connections connections, WatchSessions sessions,
                         WriteDeadline deadline) {
        return new Routes(engine, state, auth, config.protocolLimits(), config.connectionCaps(), connections, clock,
                config.healthAuth(), journal::wal, sessions, deadline);
    }

    @Provides
    @Singleton
    static Connections connections(ServerConfig config, InstantSource clock) {
        return new Connections(clock, config.protocolLimits().readTimeoutMs(), true);
    }

    @Provides
    @Singleton
    static WebServer webServer(ServerConfig config, Routes routes, Connections connections) {
        return WebServer.builder()
                .host(config.host())
                .port(config.port())
                .connectionOptions(AcceptedSockets.create(config.socketSendBufferBytes(), connections))
                // below the open-file limit: an accept that fails for want of descriptors stops Helidon's listener
                .maxTcpConnections(config.maxConnections())
                // bodies are never compressed: skip content-encoding negotiation per request
                .contentEncoding(c -> c.contentEncodingsDiscoverServices(false))
                .directHandlers(Routes.directHandlers())
                .routing(routes::register)
                .build();
    }
}
