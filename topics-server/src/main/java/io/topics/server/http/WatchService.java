package io.topics.server.http;

import java.io.IOException;
import java.io.OutputStream;
import java.time.InstantSource;
import java.util.Map;
import java.util.TreeMap;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.topics.api.ErrorCode;
import io.topics.api.TopicsException;
import io.topics.api.spi.auth.Scope;
import io.topics.server.engine.Engine;
import io.topics.server.engine.JsonOut;
import io.topics.server.engine.TopicInfo;
import io.topics.server.watch.WatchSession;
import io.topics.server.watch.WatchSessions;
import io.topics.server.watch.WatchStream;
import io.topics.server.watch.WriteDeadline;

/** The multiplexed SSE watch of spec §11: create a session, then stream it. */
final class WatchService {
    private static final String NO_SESSION = "no such watch session; create one with POST /v0/watch";

    private final Engine engine;
    private final Requests requests;
    private final Exchange.Context ctx;
    private final WatchSessions sessions;
    private final WriteDeadline deadline;
    private final InstantSource clock;

    WatchService(Engine engine, Requests requests, Exchange.Context ctx, WatchSessions sessions, WriteDeadline deadline,
                 InstantSource clock) {
        this.engine = engine;
        this.requests = requests;
        this.ctx = ctx;
        this.sessions = sessions;
        this.deadline = deadline;
        this.clock = clock;
    }

    void routing(HttpRules rules) {
        rules.post("/v0/watch", Exchange.handler(ctx, Scope.READ, this::create))
                // a wid is a capability, bound to the key that created it: any valid key gets past
                // the edge, and the stream answers 401 to every key but the session's own
                .get("/v0/watch/{wid}", Exchange.stream(ctx, this::openStream));
    }

    /** Paths served here, for the 405 answers of other methods. */
    static final String[] PATHS = {"/v0/watch", "/v0/watch/{wid}"};

    private void create(Exchange ex) throws Exception {
        Exchange.Body body = ex.body();
        Requests.Watch w = requests.watch(body.bytes(), body.length());
        boolean lenient = ex.queryFlag("lenient", false);
        for (String topic : w.topics().keySet()) {
            ex.requireAllowed("topic", topic); // every name before any lookup: a 403 never depends on what exists
        }
        Map<String, Long> start = new TreeMap<>();
        JsonOut topics = new JsonOut(256).raw((byte) '{');
        for (Map.Entry<String, Long> e : w.topics().entrySet()) {
            String topic = e.getKey();
            TopicInfo info;
            try {
                info = engine.state(topic, false); // a watch never creates a topic
            } catch (TopicsException notFound) {
                if (lenient && notFound.code() == ErrorCode.TOPIC_NOT_FOUND) {
                    continue;
                }
                throw notFound;
            }
            long from = e.getValue() == Requests.Watch.TAIL ? info.headSeq() : e.getValue();
            start.put(topic, from);
            if (topics.size() > 1) {
                topics.raw((byte) ',');
            }
            topics.string(topic).ascii(":{\"from_seq\":").number(from).ascii(",\"head_seq\":").number(info.headSeq())
                    .ascii(",\"earliest_seq\":").number(info.earliestSeq()).raw((byte) '}');
        }
        if (start.isEmpty()) {
            throw TopicsException.invalid("none of the watched topics exists");
        }
        WatchSession s = sessions.create(ex.principal().id(), w.options(), start);
        JsonOut out = new JsonOut(512);
        out.ascii("{\"wid\":").string(s.wid()).ascii(",\"stream_url\":").string("/v0/watch/" + s.wid())
                .ascii(",\"session_ttl_ms\":").number(WatchSessions.SESSION_TTL_MS).ascii(",\"topics\":")
                .raw(topics.toByteArray(), 0, topics.size()).ascii("},");
        ex.send(200, out);
    }

    private void openStream(Exchange ex) throws IOException {
        String accept = ex.header("Accept");
        if (accept != null && !accept.contains("text/event-stream") && !accept.contains("*/*")) {
            throw new TopicsException(ErrorCode.NOT_ACCEPTABLE, "the watch stream is text/event-stream");
        }
        String wid = ex.req.path().pathParameters().get("wid");
        WatchSession found = sessions.find(wid);
        if (found == null) {
            throw new TopicsException(ErrorCode.NOT_FOUND, NO_SESSION);
        }
        if (!java.util.Objects.equals(found.owner(), ex.principal().id())) {
            // a session is bound to the key that created it (spec §11.3); checked before it is taken over
            throw new TopicsException(ErrorCode.UNAUTHORIZED, "this watch session belongs to another key");
        }
        if (found.cursors().isEmpty()) {
            throw new TopicsException(ErrorCode.NOT_FOUND, "every topic of this watch session was deleted");
        }
        // spec §15: counted against the session's creating key, given back however the stream ends
        try (Slots.Slot admitted = ctx.admission().stream(found.owner())) {
            stream(ex, wid);
        }
    }

    /** Streams session {@code wid} until the client goes, the session ends or a newer stream takes over. */
    private void stream(Exchange ex, String wid) throws IOException {
        WatchSessions.Stream stream = sessions.open(wid);
        if (stream == null) { // collected since it was found
            throw new TopicsException(ErrorCode.NOT_FOUND, NO_SESSION);
        }
        try {
            String lastEventId = ex.header("Last-Event-ID");
            ex.res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                    .header(HeaderNames.CACHE_CONTROL, "no-store")
                    .header(HeaderNames.create("X-Accel-Buffering"), "no");
            try (OutputStream out = deadline.guard(ex.res.outputStream())) {
                new WatchStream(engine, sessions, stream, out, clock)
                        .run(lastEventId != null ? lastEventId : ex.query("cursor"));
            } catch (IOException | java.io.UncheckedIOException gone) {
                // the client went away: the session stays for its reconnect
            } catch (RuntimeException e) {
                if (!Exchange.causedBy(e, IOException.class)) {
                    throw e;
                }
                // Helidon's own word for a client that went away mid-write
            }
        } finally {
            sessions.closed(stream);
        }
    }
}
