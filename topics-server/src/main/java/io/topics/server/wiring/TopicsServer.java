package io.topics.server.wiring;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.InstantSource;
import java.util.List;
import java.util.logging.Logger;

import io.helidon.webserver.WebServer;
import io.topics.api.spi.auth.Authenticator;
import io.topics.api.storage.RealStorage;
import io.topics.api.storage.Storage;
import io.topics.server.engine.Engine;
import io.topics.server.engine.Recovery;
import io.topics.wal.Wal;
import io.topics.wal.WalOptions;

/**
 * A running server: data-dir lock, plugins, the Dagger-assembled engine and Helidon server, the
 * port file, and recovery: the port binds first, then the WAL is replayed into the engine, and
 * only then does the server report ready. {@link #start} refuses unsafe or impossible configurations with an
 * {@link IllegalStateException} whose message says why; {@link #close} drains and releases.
 */
public final class TopicsServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TopicsServer.class.getName());
    /**
     * Helidon's HTTP/1 connection logs a malformed request's raw query below INFO, and a query
     * may hold a {@code ?token=} key: that logger never goes below INFO, whatever {@code TOPICS_LOG}
     * says. Held here, since the logging system keeps only weak references to its loggers.
     */
    private static final Logger HTTP1 = Logger.getLogger("io.helidon.webserver.http1");
    private static final long LOCK_RETRY_MS = 5_000;

    private final ServerComponent component;
    private final WebServer webServer;
    private final DataDirLock lock;

    private final Wal wal;

    private TopicsServer(ServerComponent component, WebServer webServer, DataDirLock lock, Wal wal) {
        this.component = component;
        this.webServer = webServer;
        this.lock = lock;
        this.wal = wal;
    }

    /** Brings back the best-effort topics recovery set aside; they answer 503 until then. */
    private static void runDeferred(Recovery.Result recovered) {
        try {
            long t0 = System.nanoTime();
            List<String> problems = recovered.deferred().run();
            problems.forEach(p -> LOG.warning("missing log: " + p));
            LOG.info(() -> "deferred replay done in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (IOException | RuntimeException e) {
            LOG.log(java.util.logging.Level.SEVERE, "deferred replay failed; its topics keep answering 503", e);
        }
    }

    /** Recovers the engine from the data directory and opens the WAL for writing. */
    private static Recovery.Result recover(ServerConfig config, InstantSource clock, ServerComponent component,
                                           Storage storage) throws IOException {
        long t0 = System.nanoTime();
        WalOptions d = WalOptions.defaults();
        Recovery.Result r = Recovery.run(storage, config.dataDir(), component.engine(),
                component.checkpoints(), component.journal(), new WalOptions(config.walShards(), d.fileBytes(),
                        d.preallocate(), d.backgroundForceMs(), config.walQueueBytes()), clock,
                component.state()::recoveryProgress);
        r.problems().forEach(p -> LOG.warning(p));
        LOG.info(() -> "recovered " + (r.snapshotLsn() < 0 ? "without a snapshot" : "from snapshot " + r.snapshotLsn())
                + " and " + r.frames() + " WAL frames, " + component.engine().topicCount() + " topics in "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
        return r;
    }

    public static TopicsServer start(ServerConfig config, InstantSource clock) throws IOException {
        return start(config, clock, RealStorage.INSTANCE);
    }

    /** Starts on {@code storage}: the real disk, or in tests one that is slow or stalls. */
    public static TopicsServer start(ServerConfig config, InstantSource clock, Storage storage) throws IOException {
        java.util.logging.Level root = Logger.getLogger("").getLevel();
        if (root == null || root.intValue() < java.util.logging.Level.INFO.intValue()) {
            HTTP1.setLevel(java.util.logging.Level.INFO);
        }
        PluginRegistry plugins = PluginRegistry.load(config.pluginsDir());
        DataDirLock lock = DataDirLock.acquire(config.dataDir(), LOCK_RETRY_MS);
        try {
            ServerComponent component = ServerComponent.create(config, clock, plugins, storage);
            Authenticator auth = component.authenticator(); // the routes' own: keys are read and digested once
            refuseInsecureBind(config, auth);
            if (!auth.enabled()) {
                LOG.warning("AUTH IS DISABLED (dev mode): every request has full access. Set TOPICS_API_KEYS to enable it.");
            }
            // the port binds at once; until recovery ends only health, readiness and metrics serve
            WebServer server = component.webServer().start();
            if (config.portFile() != null) {
                writePortFile(config.portFile(), config.host() + ":" + server.port());
            }
            LOG.info(() -> "topics listening on " + config.host() + ":" + server.port() + ", data in "
                    + config.dataDir().toAbsolutePath());
            Recovery.Result recovered;
            try {
                recovered = recover(config, clock, component, storage);
            } catch (IOException | RuntimeException e) {
                server.stop();
                throw e;
            }
            Wal wal = recovered.wal();
            component.checkpoints().start();
            component.state().recoveryProgress(1.0);
            component.state().ready();
            Thread.ofPlatform().name("topics-deferred-replay").daemon().start(() -> runDeferred(recovered));
            return new TopicsServer(component, server, lock, wal);
        } catch (RuntimeException | IOException e) {
            lock.close();
            throw e;
        }
    }

    public int port() {
        return webServer.port();
    }

    public Engine engine() {
        return component.engine();
    }

    /**
     * Stops taking work (503 shutting_down), stops the listener, writes the final checkpoint
     * (every tail sealed, a snapshot) so the next start replays almost nothing, and releases
     * the data dir.
     */
    @Override
    public void close() throws IOException {
        component.state().draining();
        component.watchSessions().stopping(); // open streams say so and end before the listener stops
        try {
            webServer.stop();
            component.watchSessions().close();
            component.connections().close();
            component.writeDeadline().close();
            try {
                component.checkpoints().close();
            } finally {
                wal.close(); // writes and forces whatever is queued
            }
        } finally {
            lock.close();
        }
    }

    private static void refuseInsecureBind(ServerConfig config, Authenticator auth) {
        if (auth.enabled() || config.allowInsecureNoAuth()) {
            return;
        }
        boolean loopback;
        try {
            loopback = InetAddress.getByName(config.host()).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot resolve TOPICS_HOST " + config.host(), e);
        }
        if (!loopback) {
            throw new IllegalStateException("refusing to bind " + config.host() + " without auth: set TOPICS_API_KEYS, "
                    + "or TOPICS_ALLOW_INSECURE_NO_AUTH=1 to allow it");
        }
    }

    /** Temp file then atomic rename, so readers never see a partial address. */
    static void writePortFile(Path file, String hostPort) throws IOException {
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        Files.writeString(tmp, hostPort + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
