package io.topics.cli.command;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A fake topics server on 127.0.0.1: it records every request and answers with canned,
 * contract-shaped bodies registered per method and path. Unregistered routes answer
 * {@code 404 not_found} in the canonical error shape, and a body without
 * {@code Content-Type: application/json} {@code 415 unsupported_media_type}, as the real server.
 */
final class TestingTopicsServer implements AutoCloseable {

    /** One request as the server saw it; {@code path} includes the query string. */
    record Request(String method, String path, String authorization, String contentType, String body, int remotePort) {
        /** The query parameters, decoded; their order on the wire does not matter. */
        Map<String, String> query() {
            Map<String, String> params = new LinkedHashMap<>();
            int q = path.indexOf('?');
            if (q >= 0) {
                for (String pair : path.substring(q + 1).split("&")) {
                    int eq = pair.indexOf('=');
                    String name = eq < 0 ? pair : pair.substring(0, eq);
                    String value = eq < 0 ? "" : pair.substring(eq + 1);
                    params.put(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
                }
            }
            return params;
        }

        String pathWithoutQuery() {
            return path.split("\\?")[0];
        }
    }

    record Reply(int status, String body) {
        static Reply ok(String json) {
            return new Reply(200, json);
        }

        static Reply error(int status, String code, String message) {
            return new Reply(status, "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message
                    + "\",\"detail\":{}},\"performance\":{\"server_total_ms\":0.01}}");
        }
    }

    @FunctionalInterface
    interface Handler {
        Reply handle(Request request) throws Exception;
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Map<String, Handler> routes = new ConcurrentHashMap<>();
    private final List<Request> requests = new ArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile boolean closeConnections;

    TestingTopicsServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.setExecutor(executor);
        server.start();
    }

    /** {@code host:port}, the form a real server writes to its port file. */
    String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    String url() {
        return "http://" + address();
    }

    /** Answers {@code method path} (path without the query) with {@code handler}. */
    TestingTopicsServer on(String method, String path, Handler handler) {
        routes.put(method + " " + path, handler);
        return this;
    }

    TestingTopicsServer on(String method, String path, Reply reply) {
        return on(method, path, r -> reply);
    }

    /** From now on, answers with {@code Connection: close} and closes the connection after each answer. */
    void closeConnections() {
        closeConnections = true;
    }

    synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    synchronized List<Request> requests(String method, String pathWithoutQuery) {
        return requests.stream()
                .filter(r -> r.method().equals(method) && r.path().split("\\?")[0].equals(pathWithoutQuery))
                .toList();
    }

    /** How many distinct client connections (source ports) sent {@code method path} requests. */
    synchronized int connections(String method, String pathWithoutQuery) {
        Set<Integer> ports = new HashSet<>();
        requests(method, pathWithoutQuery).forEach(r -> ports.add(r.remotePort()));
        return ports.size();
    }

    /** The most requests that were being answered at the same time. */
    int maxInFlight() {
        return maxInFlight.get();
    }

    private void serve(HttpExchange ex) throws IOException {
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        boolean answered = false;
        try (ex; InputStream in = ex.getRequestBody()) {
            String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            String path = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            Request request = new Request(ex.getRequestMethod(), query == null ? path : path + "?" + query,
                    ex.getRequestHeaders().getFirst("Authorization"), ex.getRequestHeaders().getFirst("Content-Type"),
                    body, ex.getRemoteAddress().getPort());
            synchronized (this) {
                requests.add(request);
            }
            Handler handler = routes.get(request.method() + " " + path);
            Reply reply;
            try {
                if (!body.isEmpty() && !"application/json".equals(request.contentType())) {
                    // as the real server does
                    reply = Reply.error(415, "unsupported_media_type", "a request body needs a Content-Type: application/json");
                } else {
                    reply = handler == null ? Reply.error(404, "not_found", "no route " + path) : handler.handle(request);
                }
            } catch (Exception e) {
                reply = Reply.error(500, "internal", "fake server: " + e);
            }
            byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            if (closeConnections) {
                ex.getResponseHeaders().set("Connection", "close");
            }
            // the request stops counting before the client can see the answer and send its next one
            inFlight.decrementAndGet();
            answered = true;
            ex.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        } finally {
            if (!answered) {
                inFlight.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
