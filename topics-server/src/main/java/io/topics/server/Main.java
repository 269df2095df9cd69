package io.topics.server;

import java.time.InstantSource;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.topics.server.wiring.ServerConfig;
import io.topics.server.wiring.TopicsServer;
import sun.misc.Signal;

/** {@code bin/topics-server}: settings from TOPICS_* and flags; exits 0 after a clean shutdown. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        ServerConfig config;
        try {
            config = ServerConfig.from(System.getenv(), args);
        } catch (IllegalArgumentException e) {
            System.err.println("topics-server: " + e.getMessage());
            System.exit(2);
            return;
        }
        configureLogging(config.logLevel());
        // before start: a SIGTERM during recovery is a clean stop once recovery is done, not a kill
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        TopicsServer server;
        try {
            server = TopicsServer.start(config, InstantSource.system());
        } catch (Exception e) {
            System.err.println("topics-server: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        try {
            stop.await();
            server.close();
        } catch (Exception e) {
            System.err.println("topics-server: unclean shutdown: " + e);
            System.exit(1);
        }
        System.exit(0);
    }

    private static void configureLogging(String level) {
        Level l = switch (level) { // ServerConfig accepts only these
            case "trace" -> Level.FINEST;
            case "debug" -> Level.FINE;
            case "warn" -> Level.WARNING;
            case "error" -> Level.SEVERE;
            case "off" -> Level.OFF;
            default -> Level.INFO;
        };
        Logger root = Logger.getLogger("");
        root.setLevel(l);
        for (var h : root.getHandlers()) {
            h.setLevel(l);
        }
    }
}
