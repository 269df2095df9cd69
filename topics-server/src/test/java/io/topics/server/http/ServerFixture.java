package io.topics.server.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

import io.topics.server.wiring.ServerConfig;
import io.topics.server.wiring.TopicsServer;

/** A real server on 127.0.0.1 and a free port, plus a small client for tests. */
public final class ServerFixture implements AutoCloseable {
    public final TopicsServer server;
    public final String base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    public ServerFixture(Path dataDir, Map<String, String> env) throws IOException {
        this(dataDir, env, io.topics.api.storage.RealStorage.INSTANCE);
    }

    /** A server on {@code disk}: the real one, or one a test slows down or stalls. */
    public ServerFixture(Path dataDir, Map<String, String> env, io.topics.api.storage.Storage disk) throws IOException {
        Map<String, String> all = new HashMap<>(env);
        all.put("TOPICS_PORT", "0");
        all.put("TOPICS_DATA_DIR", dataDir.toString());
        server = TopicsServer.start(ServerConfig.from(all), InstantSource.system(), disk);
        base = "http://127.0.0.1:" + server.port();
    }

    /** A response: status, body and the headers tests look at. */
    public record Reply(int status, String body, HttpResponse<String> raw) {
        public Map<String, Object> json() {
            return TestJson.object(body);
        }

        public String errorCode() {
            Object error = json().get("error");
            return error instanceof Map<?, ?> m ? (String) m.get("code") : null;
        }
    }

    /**
     * Sends a request and reads the answer. An answer that opens an SSE stream is closed at its
     * headers, with an empty body: a stream never ends by itself, and what such a call can check
     * is whether the stream opened.
     */
    public Reply send(String method, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(40));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> r = http.send(b.build(), info -> info.headers().firstValue("Content-Type").orElse("")
                    .startsWith("text/event-stream") ? new ClosedAtHeaders() : HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8));
            return new Reply(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Reads no body: cancelling the subscription closes the connection. */
    private static final class ClosedAtHeaders implements HttpResponse.BodySubscriber<String> {
        @Override
        public CompletionStage<String> getBody() {
            return CompletableFuture.completedFuture("");
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.cancel();
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
        }

        @Override
        public void onError(Throwable throwable) {
        }

        @Override
        public void onComplete() {
        }
    }

    /** A JSON request, sent the way a program would. */
    public Reply json(String method, String path, String body) {
        return send(method, path, body, "Content-Type", "application/json");
    }

    /** A request exactly as {@code curl -d} sends it. */
    public Reply curl(String method, String path, String body) {
        return send(method, path, body, "Content-Type", "application/x-www-form-urlencoded");
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
