package io.topics.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.HttpMediaType;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ServerConnectionException;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.topics.api.ErrorCode;
import io.topics.api.TopicsException;
import io.topics.api.spi.auth.Authenticator;
import io.topics.api.spi.auth.Principal;
import io.topics.api.spi.auth.Scope;
import io.topics.server.engine.JsonOut;
import io.topics.server.watch.WriteDeadline;

/**
 * One request on its way through a handler: the shared edge every /v0 endpoint goes through.
 * It checks readiness and auth, reads and type-checks the body, and answers success or the
 * canonical error body with the {@code performance} block. Handlers stay a few lines long.
 */
final class Exchange {
    private static final Logger LOG = Logger.getLogger(Exchange.class.getName());
    /** Built once: every JSON answer sends the same header, so Helidon need not build and check it again. */
    private static final Header JSON_TYPE = HeaderValues.createCached(HeaderNames.CONTENT_TYPE, "application/json");
    private static final Header BEARER_CHALLENGE = HeaderValues.createCached(HeaderNames.WWW_AUTHENTICATE,
            "Bearer realm=\"topics\"");

    /** The shared parts every exchange needs. */
    record Context(ServerState state, Authenticator auth, ProtocolLimits limits, Admission admission,
                   Connections connections, WriteDeadline deadline) {
    }

    /** A handler body. */
    interface Action {
        void handle(Exchange ex) throws Exception;
    }

    final ServerRequest req;
    final ServerResponse res;
    private final Context ctx;
    private final long startNanos;
    private Principal principal;
    /** The caller's in-flight slot (spec §15), given back as the answer goes out. */
    private Slots.Slot slot = Slots.NONE;
    private Connections.Busy busy;
    private boolean bodyLeftUnread;
    private long recordsScanned = -1;

    private Exchange(ServerRequest req, ServerResponse res, Context ctx, long startNanos) {
        this.req = req;
        this.res = res;
        this.ctx = ctx;
        this.startNanos = startNanos;
    }

    /**
     * What a route asks of its caller before its handler runs (spec §14): nothing, any valid
     * key, or a key holding a scope. Credentials come from {@code Authorization: Bearer};
     * {@code ?token=} counts only where {@code queryToken} says so (the SSE GETs), because a
     * query string ends up in proxy logs and browser history.
     */
    record Access(Scope scope, boolean needsKey, boolean queryToken) {
        /** No credentials looked at: health and readiness unless {@code TOPICS_HEALTH_AUTH=1}. */
        static final Access OPEN = new Access(null, false, false);
        /** Any valid key, whatever its scopes. */
        static final Access ANY_KEY = new Access(null, true, false);
        /** An SSE GET: any valid key, also as {@code ?token=}; the handler checks it is the session's. */
        static final Access STREAM = new Access(null, true, true);

        static Access scope(Scope scope) {
            return new Access(scope, true, false);
        }
    }

    /**
     * Wraps {@code action} into a Helidon handler that answers 503 while not ready, 401/403 on
     * auth failures (before any resource lookup), and turns every exception into the error body.
     */
    static Handler handler(Context ctx, Scope scope, Action action) {
        return handler(ctx, Access.scope(scope), true, true, action);
    }

    /**
     * Like {@link #handler}, for an SSE GET (see {@link Access#STREAM}): it holds no in-flight
     * slot (spec §15), only the stream slots its action takes.
     */
    static Handler stream(Context ctx, Action action) {
        return handler(ctx, Access.STREAM, true, false, action);
    }

    /** Like {@link #handler}, but answering in every phase (health, readiness, metrics). */
    static Handler anyPhase(Context ctx, Access access, Action action) {
        return handler(ctx, access, false, true, action);
    }

    private static Handler handler(Context ctx, Access access, boolean onlyWhenReady, boolean inFlight,
                                   Action action) {
        return exchange(ctx, ex -> {
            try {
                if (onlyWhenReady) {
                    ex.requireReady();
                }
                ex.authorize(access);
                if (inFlight && access.needsKey()) { // a route that asks for no key has none to count against
                    ex.slot = ctx.admission.request(ex.principal);
                }
                action.handle(ex);
            } catch (TopicsException e) {
                ex.error(e);
            } catch (Exception | StackOverflowError e) {
                if (e instanceof ServerConnectionException || e instanceof ClientGone) {
                    // the client went away while its answer was written: not the server's error
                    LOG.log(Level.FINE, "client gone during the answer to " + ex.req.path().path(), e);
                    throw new CloseConnectionException("the client went away");
                }
                LOG.log(Level.SEVERE, "internal error on " + ex.req.prologue().method().text() + " "
                        + ex.req.path().path(), e);
                ex.error(new TopicsException(ErrorCode.INTERNAL, "internal error: " + e.getClass().getSimpleName()));
            }
        });
    }

    /** A handler for paths that are not routes, or methods a route does not take. */
    static Handler always(Context ctx, ErrorCode code, String message) {
        return exchange(ctx, ex -> ex.error(new TopicsException(code, message.replace("{path}", ex.req.path().path())
                .replace("{method}", ex.req.prologue().method().text()))));
    }

    /**
     * What every request gets around its handling: its connection is busy meanwhile (not idle
     * for the read timeout), its slot and busy mark end on every path, and a connection whose
     * request body was left unread is closed.
     */
    private static Handler exchange(Context ctx, Consumer<Exchange> handling) {
        return (req, res) -> {
            Exchange ex = new Exchange(req, res, ctx, System.nanoTime());
            ex.busy = ctx.connections.busy(req.localPeer().address(), req.remotePeer().address());
            if (ex.busy == null) {
                throw new CloseConnectionException("the connection is being closed as idle");
            }
            try {
                handling.accept(ex);
            } finally {
                ex.slot.close(); // for an answer that never went out: the handler ended all the same
                ex.busy.close();
            }
            if (ex.bodyLeftUnread) {
                // Helidon would read the rest of the body to reuse the connection, at the client's pace
                throw new CloseConnectionException("answered before the request body was read whole");
            }
        };
    }

    Principal principal() {
        return principal;
    }

    /** Path parameter {@code param} (a topic or router name), checked against the caller's prefix allowlist. */
    String name(String param) {
        String name = req.path().pathParameters().get(param);
        requireAllowed(param, name);
        return name;
    }

    /** 403 unless the caller's prefix allowlist covers {@code name}; {@code kind} names it in the detail. */
    void requireAllowed(String kind, String name) {
        if (!principal.mayTouch(name)) {
            throw new TopicsException(ErrorCode.FORBIDDEN, "this key may not access " + kind + " \"" + name + "\"",
                    Map.of(kind, name));
        }
    }

    /** A query parameter, or null. */
    String query(String name) {
        return req.query().contains(name) ? req.query().get(name) : null;
    }

    /** A boolean query parameter: {@code true}/{@code false}, else 400. */
    boolean queryFlag(String name, boolean dflt) {
        String v = query(name);
        if (v == null) {
            return dflt;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "" -> true;
            case "false", "0" -> false;
            default -> throw TopicsException.invalid(name + " must be true or false");
        };
    }

    /** A header value, or null. */
    String header(String name) {
        return req.headers().first(HeaderNames.create(name)).orElse(null);
    }

    void recordsScanned(long n) {
        recordsScanned = n;
    }

    /**
     * The request body, bounded by {@code TOPICS_MAX_BODY_BYTES} (413 before parsing) and with a
     * JSON-compatible Content-Type when non-empty (415). An empty body is returned as length 0.
     */
    Body body() {
        long max = Math.min(ctx.limits.maxBodyBytes(), Integer.MAX_VALUE - 16); // and what one array can hold
        OptionalLong declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > max) {
            throw tooLarge(max);
        }
        Body body = req.content().hasEntity() ? readBody(declared, max) : new Body(new byte[0], 0);
        if (body.length() > 0) {
            requireJsonContentType();
        }
        return body;
    }

    /**
     * Reads the body as it arrives, until {@code TOPICS_READ_TIMEOUT_MS} after the request
     * started: a client that trickles its body a few bytes at a time is answered
     * {@code body_timeout} then, and one that sends nothing more has its connection closed by
     * {@link Connections}' sweep, which ends the blocked read.
     */
    private Body readBody(OptionalLong declared, long max) {
        long timeoutMs = ctx.limits.readTimeoutMs();
        long deadline = startNanos + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        // the array grows with what arrived, up to the declared length (or the limit): a declared
        // length alone allocates nothing, or headers would hold 64 MiB each with no body behind them
        long most = declared.isPresent() ? declared.getAsLong() : max + 1;
        byte[] buf = new byte[(int) Math.min(most, 8192)];
        int n = 0;
        // not closed on failure: closing reads what is left of the body, however slowly it comes
        InputStream in = req.content().inputStream();
        busy.bodyDue();
        try {
            while (true) {
                if (n == buf.length) {
                    if (n == most) {
                        break;
                    }
                    buf = Arrays.copyOf(buf, (int) Math.min(most, 2L * n));
                }
                if (timeoutMs > 0 && System.nanoTime() - deadline > 0) {
                    throw bodyTimeout(timeoutMs);
                }
                int r = in.read(buf, n, buf.length - n);
                if (r < 0) {
                    if (declared.isPresent()) {
                        throw cutOff(deadline, timeoutMs); // fewer bytes than declared
                    }
                    break;
                }
                n += r;
            }
            in.close();
        } catch (IOException e) {
            throw cutOff(deadline, timeoutMs);
        } catch (DataReader.InsufficientDataAvailableException e) {
            throw cutOff(deadline, timeoutMs); // Helidon's word for a body whose connection's input ended
        } catch (IllegalArgumentException e) {
            bodyLeftUnread = true; // the framing is broken: the connection cannot carry another request
            throw new TopicsException(ErrorCode.INVALID_REQUEST, "the request body's chunked framing is malformed");
        } catch (RuntimeException e) {
            if (e instanceof TopicsException || !causedBy(e, IOException.class)) {
                throw e;
            }
            throw cutOff(deadline, timeoutMs); // Helidon's word for a connection that failed
        }
        busy.bodyRead();
        if (n > max) {
            throw tooLarge(max);
        }
        return new Body(buf, n);
    }

    /**
     * The body ended early: past its deadline, {@link Connections} ended it (the client stalled);
     * before, the client went away.
     */
    private static TopicsException cutOff(long deadline, long timeoutMs) {
        return timeoutMs > 0 && System.nanoTime() - deadline >= 0 ? bodyTimeout(timeoutMs) : new TopicsException(
                ErrorCode.INVALID_REQUEST, "the request body was cut off", Map.of("reason", "body_incomplete"));
    }

    private static TopicsException bodyTimeout(long timeoutMs) {
        return new TopicsException(ErrorCode.INVALID_REQUEST, "the request body did not arrive within "
                + timeoutMs + " ms", Map.of("reason", "body_timeout", "timeout_ms", timeoutMs));
    }

    /** Whether {@code e} or one of its causes is a {@code type}. */
    static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    /** A request body: {@code bytes[0, length)}. */
    record Body(byte[] bytes, int length) {
    }

    /** Answers {@code status} with the JSON object opened in {@code out}, closing it with performance. */
    void send(int status, JsonOut out) {
        out.ascii("\"performance\":{\"server_total_ms\":").millis(elapsedMs());
        if (recordsScanned >= 0) {
            out.ascii(",\"records_scanned\":").number(recordsScanned);
        }
        out.ascii("}}");
        slot.close(); // the work is done: a client's next request must not find its own slot still taken
        closeIfBodyUnread();
        res.status(status);
        res.header(JSON_TYPE);
        if (out.size() <= UNGUARDED_BYTES) {
            res.send(out.array(), 0, out.size());
            return;
        }
        // a big answer to a client that stopped reading would hold its memory and thread for good:
        // written under the stall deadline of the watch streams
        res.header(HeaderNames.CONTENT_LENGTH, Integer.toString(out.size()));
        try (OutputStream o = ctx.deadline.guard(res.outputStream())) {
            o.write(out.array(), 0, out.size());
        } catch (IOException e) {
            throw new ClientGone(e); // the client is gone, or was cut
        }
    }

    /** Writing an answer failed: the client went away, or stopped reading and was cut. */
    private static final class ClientGone extends RuntimeException {
        ClientGone(IOException cause) {
            super(cause);
        }
    }

    /** An answer this small fits the socket's buffers: it never waits on the client. */
    private static final int UNGUARDED_BYTES = 64 * 1024;

    /** Answers a non-JSON body (Prometheus text). */
    void sendText(String contentType, byte[] body) {
        slot.close();
        closeIfBodyUnread();
        res.status(200);
        res.header(HeaderNames.CONTENT_TYPE, contentType);
        res.send(body);
    }

    void error(TopicsException e) {
        if (res.isSent()) {
            LOG.log(Level.WARNING, "error after the response was sent", e);
            return;
        }
        ErrorCode code = e.code();
        JsonOut out = new JsonOut(256);
        out.ascii("{\"error\":{\"code\":").string(code.code()).ascii(",\"message\":").string(e.getMessage());
        if (!e.detail().isEmpty()) {
            out.ascii(",\"detail\":");
            value(out, e.detail());
        }
        out.ascii("},");
        if (code.status() == 429 || code.status() == 503) {
            Object retryMs = e.detail().get("retry_after_ms");
            long seconds = retryMs instanceof Number n ? Math.max(1, (n.longValue() + 999) / 1000) : 1;
            res.header(HeaderNames.RETRY_AFTER, Long.toString(seconds));
        }
        if (code == ErrorCode.UNAUTHORIZED) {
            res.header(BEARER_CHALLENGE); // RFC 6750: a 401 names the scheme it wants
        }
        send(code.status(), out);
    }

    /**
     * An answer sent before the body was read whole (an error found first, a body cut off or
     * too slow, a route that takes none) says {@code Connection: close}, and the connection is
     * closed once it went out.
     */
    private void closeIfBodyUnread() {
        if (req.content().hasEntity() && !req.content().consumed()) {
            bodyLeftUnread = true;
            res.header(HeaderValues.CONNECTION_CLOSE);
        }
    }

    private void requireReady() {
        ServerState.Phase phase = ctx.state.phase();
        if (phase == ServerState.Phase.RECOVERING) {
            throw new TopicsException(ErrorCode.NOT_READY, "the server is replaying its log",
                    Map.of("replay_progress", ctx.state.recoveryProgress()));
        }
        if (phase == ServerState.Phase.DRAINING) {
            throw new TopicsException(ErrorCode.SHUTTING_DOWN, "the server is shutting down");
        }
    }

    private void authorize(Access access) {
        if (!access.needsKey()) {
            principal = Principal.ANONYMOUS;
            return;
        }
        String header = header("Authorization");
        String token = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
        if (token == null && access.queryToken()) {
            token = query("token");
        }
        String presented = token;
        principal = ctx.auth.authenticate(token).orElseThrow(() -> new TopicsException(ErrorCode.UNAUTHORIZED,
                presented != null ? "invalid bearer token"
                        : access.queryToken() || query("token") == null ? "missing bearer token"
                        : "missing bearer token (?token= is accepted only on GET /v0/watch/:wid)"));
        Scope scope = access.scope();
        if (scope != null && !principal.has(scope)) {
            throw new TopicsException(ErrorCode.FORBIDDEN, "this key lacks the " + scope.name().toLowerCase(Locale.ROOT)
                    + " scope", Map.of("scope", scope.name().toLowerCase(Locale.ROOT)));
        }
    }

    private void requireJsonContentType() {
        HttpMediaType type;
        try {
            type = req.headers().contentType().orElseThrow(() -> new TopicsException(
                    ErrorCode.UNSUPPORTED_MEDIA_TYPE, "a request body needs a Content-Type: application/json"));
        } catch (TopicsException missing) {
            throw missing;
        } catch (RuntimeException malformed) { // Helidon's BadRequestException, among others
            throw new TopicsException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "a malformed Content-Type; send application/json");
        }
        String t = type.mediaType().text().toLowerCase(Locale.ROOT);
        if (!t.equals("application/json") && !t.equals("application/x-www-form-urlencoded") && !t.equals("text/plain")) {
            throw new TopicsException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "unsupported Content-Type " + t
                    + "; send application/json", Map.of("content_type", t));
        }
    }

    private static TopicsException tooLarge(long max) {
        return new TopicsException(ErrorCode.PAYLOAD_TOO_LARGE, "the request body exceeds " + max + " bytes",
                Map.of("max", max));
    }

    private double elapsedMs() {
        return (System.nanoTime() - startNanos) / 1e6;
    }

    /** Writes a detail value: maps, lists, strings, numbers, booleans, null. */
    static void value(JsonOut out, Object v) {
        switch (v) {
            case null -> out.nul();
            case String s -> out.string(s);
            case Boolean b -> out.bool(b);
            case Double d -> out.ascii(Double.toString(d));
            case Float f -> out.ascii(Float.toString(f));
            case Number n -> out.number(n.longValue());
            case Map<?, ?> m -> {
                out.raw((byte) '{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) {
                        out.raw((byte) ',');
                    }
                    first = false;
                    out.string(String.valueOf(e.getKey())).raw((byte) ':');
                    value(out, e.getValue());
                }
                out.raw((byte) '}');
            }
            case List<?> l -> {
                out.raw((byte) '[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) {
                        out.raw((byte) ',');
                    }
                    value(out, l.get(i));
                }
                out.raw((byte) ']');
            }
            default -> out.string(v.toString());
        }
    }
}
