package io.topics.server.http;

import java.time.InstantSource;

import io.helidon.webserver.http.HttpRouting;
import io.topics.api.ErrorCode;
import io.topics.api.spi.auth.Authenticator;
import io.topics.server.engine.Engine;

/**
 * The whole /v0 routing: every service, then a 405 for known paths with another method, then
 * a 404 for everything else, both with the JSON error body.
 */
public final class Routes {
    private final TopicsService topics;
    private final ObserveService observe;
    private final Exchange.Context ctx;

    public Routes(Engine engine, ServerState state, Authenticator auth, ProtocolLimits limits, InstantSource clock,
                  boolean healthAuth) {
        this.ctx = new Exchange.Context(state, auth, limits);
        this.topics = new TopicsService(engine, new Requests(limits), ctx);
        this.observe = new ObserveService(engine, state, clock, ctx, healthAuth);
    }

    public void register(HttpRouting.Builder rules) {
        topics.routing(rules);
        observe.routing(rules);
        for (String[] paths : new String[][] {TopicsService.PATHS, ObserveService.PATHS}) {
            for (String path : paths) {
                rules.any(path, Exchange.always(ctx, ErrorCode.METHOD_NOT_ALLOWED, "{method} is not allowed on {path}"));
            }
        }
        rules.any(Exchange.always(ctx, ErrorCode.NOT_FOUND, "no route {path}"));
    }
}
