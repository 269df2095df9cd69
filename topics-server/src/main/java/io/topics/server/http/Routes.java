package io.topics.server.http;

import java.time.InstantSource;
import java.util.function.Supplier;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.HttpRouting;
import io.topics.api.ErrorCode;
import io.topics.api.spi.auth.Authenticator;
import io.topics.server.engine.Engine;
import io.topics.server.engine.JsonOut;
import io.topics.server.watch.WatchSessions;
import io.topics.server.watch.WriteDeadline;
import io.topics.wal.Wal;

/**
 * The whole /v0 routing: every service, then a 405 for known paths with another method, then
 * a 404 for everything else, both with the JSON error body.
 */
public final class Routes {
    private final TopicsService topics;
    private final WatchService watch;
    private final ObserveService observe;
    private final Exchange.Context ctx;

    public Routes(Engine engine, ServerState state, Authenticator auth, ProtocolLimits limits, ConnectionCaps caps,
                  Connections connections, InstantSource clock, boolean healthAuth, Supplier<Wal> wal,
                  WatchSessions watchSessions, WriteDeadline deadline) {
        this.ctx = new Exchange.Context(state, auth, limits, new Admission(caps, auth.enabled()), connections,
                deadline);
        Requests requests = new Requests(limits);
        this.topics = new TopicsService(engine, requests, ctx);
        this.watch = new WatchService(engine, requests, ctx, watchSessions, deadline, clock);
        this.observe = new ObserveService(engine, state, clock, ctx, healthAuth, wal, watchSessions);
    }

    /**
     * JSON error bodies for what Helidon rejects before routing (a malformed request line or
     * URI, an over-long URI or header block ...), so bad input always gets the canonical body.
     */
    public static DirectHandlers directHandlers() {
        DirectHandler json = (request, event, status, headers, message) -> {
            ErrorCode code = switch (status.code()) {
                case 404 -> ErrorCode.NOT_FOUND;
                case 405 -> ErrorCode.METHOD_NOT_ALLOWED;
                case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
                case 403 -> ErrorCode.FORBIDDEN;
                case 500 -> ErrorCode.INTERNAL;
                default -> ErrorCode.INVALID_REQUEST;
            };
            JsonOut out = new JsonOut(192);
            out.ascii("{\"error\":{\"code\":").string(code.code()).ascii(",\"message\":")
                    .string(message == null || message.isBlank() ? status.reasonPhrase() : message).ascii("}}");
            return DirectHandler.TransportResponse.builder()
                    .status(status)
                    .headers(headers)
                    .header(HeaderNames.CONTENT_TYPE, "application/json")
                    .entity(out.toByteArray())
                    .keepAlive(event.keepAlive())
                    .build();
        };
        DirectHandlers.Builder b = DirectHandlers.builder();
        for (DirectHandler.EventType event : DirectHandler.EventType.values()) {
            b.addHandler(event, json);
        }
        return b.build();
    }

    /** The caps' slots, for tests that look at what is held. */
    Admission admission() {
        return ctx.admission();
    }

    public void register(HttpRouting.Builder rules) {
        topics.routing(rules);
        watch.routing(rules);
        observe.routing(rules);
        for (String[] paths : new String[][] {TopicsService.PATHS, WatchService.PATHS, ObserveService.PATHS}) {
            for (String path : paths) {
                rules.any(path, Exchange.always(ctx, ErrorCode.METHOD_NOT_ALLOWED, "{method} is not allowed on {path}"));
            }
        }
        rules.any(Exchange.always(ctx, ErrorCode.NOT_FOUND, "no route {path}"));
    }
}
