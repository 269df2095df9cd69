package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;

import io.helidon.webserver.WebServer;
import io.topics.api.spi.auth.Authenticator;
import io.topics.server.engine.Engine;
import io.topics.server.engine.EngineLimits;
import io.topics.server.engine.TestingClock;
import io.topics.server.wiring.PluginRegistry;
import org.junit.jupiter.api.Test;

/** Spec §16: while recovering or draining only health, readiness and metrics serve. */
class PhaseTest {
    static final Authenticator OPEN = PluginRegistry.load(null).auth("none").create(Map.of());

    @Test
    void onlyObserveEndpointsAnswerOutsideTheReadyPhase() throws Exception {
        TestingClock clock = new TestingClock(1000);
        ServerState state = new ServerState(clock.millis());
        state.recoveryProgress(0.25);
        Engine engine = new Engine(clock, EngineLimits.DEFAULTS, Set.of("disk", "fsync"));
        Routes routes = new Routes(engine, state, OPEN, ProtocolLimits.DEFAULTS, ConnectionCaps.DEFAULTS,
                new Connections(clock, 0, false), clock, false,
                () -> null, new io.topics.server.watch.WatchSessions(clock, 0),
                new io.topics.server.watch.WriteDeadline(clock, 0, false));
        WebServer server = WebServer.builder().host("127.0.0.1").port(0).routing(routes::register).build().start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> write = http.send(HttpRequest.newBuilder(URI.create(base + "/v0/topics/t"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"records\":[{\"data\":1}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, write.statusCode());
            assertEquals("1", write.headers().firstValue("Retry-After").orElse(""));
            assertEquals("not_ready", ((Map<?, ?>) TestJson.object(write.body()).get("error")).get("code"));
            assertEquals(0, engine.topicCount(), "nothing reached the engine");
            HttpResponse<String> ready = get(http, base + "/v0/ready");
            assertEquals(503, ready.statusCode());
            Map<?, ?> detail = (Map<?, ?>) ((Map<?, ?>) TestJson.object(ready.body()).get("error")).get("detail");
            assertEquals(0.25, detail.get("replay_progress"));
            assertEquals(200, get(http, base + "/v0/health").statusCode());
            HttpResponse<String> metrics = get(http, base + "/v0/metrics");
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("topics_recovery_progress 0.25"), metrics.body());
            assertTrue(metrics.body().contains("topics_ready 0"));

            state.ready();
            assertEquals(200, get(http, base + "/v0/ready").statusCode());
            state.draining();
            HttpResponse<String> draining = get(http, base + "/v0/topics");
            assertEquals(503, draining.statusCode());
            assertTrue(draining.body().contains("shutting_down"));
        } finally {
            server.stop();
        }
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
