package io.topics.server.watch;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import io.topics.api.ErrorCode;
import io.topics.api.TopicsException;
import io.topics.server.engine.DiffQuery;
import io.topics.server.engine.DiffResult;
import io.topics.server.engine.Engine;
import io.topics.server.engine.JsonOut;
import io.topics.server.engine.Tombstone;

/**
 * One open watch stream (spec §11.2–11.5), written to any {@link OutputStream}: pull-based,
 * it re-reads each topic from the session's cursor, so a slow reader holds nothing but its
 * cursor, and a frame is flushed as soon as it is written. It waits for appends, never polls
 * the log: between passes it sleeps on the watched topics' append signals.
 */
public final class WatchStream {
    /** How soon a stream whose topic still replays after a restart looks again. */
    private static final long REPLAY_CHECK_MS = 200;

    private final Engine engine;
    private final WatchSessions sessions;
    private final WatchSessions.Stream stream;
    private final OutputStream out;
    private final InstantSource clock;
    /** Topics this stream delivers live: caught up, and not behind since (spec §11.5's transitions). */
    private final Map<String, Boolean> live = new HashMap<>();
    private final Map<String, Boolean> readBefore = new HashMap<>();
    /** Each topic's read version at its last pass: a wait ends at once when it moved since. */
    private final Map<String, Long> readAt = new HashMap<>();
    private long lastSentMs;

    /** A stream that ends, saying so, once {@code sessions} are {@link WatchSessions#stopping stopping}. */
    public WatchStream(Engine engine, WatchSessions sessions, WatchSessions.Stream stream, OutputStream out,
                       InstantSource clock) {
        this.engine = engine;
        this.sessions = sessions;
        this.stream = stream;
        this.out = out;
        this.clock = clock;
    }

    /**
     * Streams until the client goes, a newer stream takes the session over, every watched topic
     * is deleted, or the server stops. {@code lastEventId} may rewind the session's cursors.
     *
     * @throws IOException when the client is gone
     */
    public void run(String lastEventId) throws IOException {
        WatchSession s = stream.session();
        s.resume(lastEventId);
        write("retry: 2000\n\n");
        while (true) {
            if (!stream.current()) {
                return; // a newer stream owns the session
            }
            if (!sessions.live(s)) {
                frame(null, "error", "{\"code\":410,\"error\":\"the watch session is gone; create a new one\"}");
                return;
            }
            if (sessions.stopped()) {
                frame(WatchCursor.encode(s.cursors()), "error", "{\"code\":503,\"error\":\"shutting_down\"}");
                return;
            }
            boolean backlog = false;
            try {
                for (String topic : s.cursors().keySet()) {
                    backlog |= pass(s, topic);
                }
            } catch (TopicsException e) {
                // a damaged segment, say: said, and the stream ends (the session stays for a retry)
                frame(WatchCursor.encode(s.cursors()), "error", "{\"code\":" + e.code().status() + ",\"error\":"
                        + quote(e.getMessage()) + "}");
                return;
            }
            if (s.cursors().isEmpty()) {
                return; // every watched topic was deleted
            }
            if (!backlog) {
                awaitAppend(s);
            }
        }
    }

    /**
     * Reads one batch of {@code topic} and sends what it holds; true while backlog remains. The
     * session's cursor moves only after the frames that carry it were written, and only while
     * this stream still owns the session and the cursor is where this read started.
     */
    private boolean pass(WatchSession s, String topic) throws IOException {
        Long at = s.cursor(topic);
        if (at == null || !stream.current()) {
            return false; // forgotten meanwhile, or a newer stream owns the session
        }
        long cursor = at;
        WatchOptions o = s.options();
        WatchSessions.Batch batch;
        try {
            long version = engine.readVersion(topic);
            readAt.put(topic, version);
            WatchSessions.BatchKey key = new WatchSessions.BatchKey(topic, cursor, o, version);
            batch = sessions.batch(key);
            if (batch == null) {
                JsonOut records = new JsonOut();
                DiffResult r = engine.diff(topic, new DiffQuery(cursor, o.limit(), o.maxBatchBytes(), 0,
                        o.includeTags(), o.includeMeta(), o.nodes(), o.includeData()), records);
                batch = new WatchSessions.Batch(r, recordFrame(topic, cursor, r, records));
                if (engine.readVersion(topic) == version) {
                    sessions.share(key, batch); // nothing moved during the read
                }
            }
        } catch (TopicsException e) {
            if (e.code() == ErrorCode.TOPIC_NOT_FOUND) {
                SortedMap<String, Long> rest = s.cursors();
                rest.remove(topic);
                frame(WatchCursor.encode(rest), "topic-deleted", "{\"topic\":" + quote(topic)
                        + ",\"head_seq\":0,\"reason\":\"deleted\"}");
                s.forget(topic); // once told: a stream that fails to say it says it again
                return false;
            }
            if (e.code() == ErrorCode.NOT_READY) {
                return false; // replaying after a restart: the next pass tries again
            }
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        DiffResult r = batch.result();
        boolean first = readBefore.put(topic, true) == null;
        SortedMap<String, Long> ids = s.cursors();
        Tombstone t = r.tombstone();
        if (t != null) {
            boolean tooOld = first && !t.reason().equals("recreated");
            ids.put(topic, t.reason().equals("recreated") ? r.nextFromSeq() : t.gapTo());
            JsonOut d = new JsonOut(160).ascii("{\"topic\":").string(topic).ascii(",\"reason\":")
                    .string(tooOld ? "from_seq_too_old" : t.reason())
                    .ascii(",\"gap_from\":").number(t.gapFrom()).ascii(",\"gap_to\":").number(t.gapTo());
            if (!tooOld) {
                d.ascii(",\"missed_estimate\":").number(t.missedEstimate());
            }
            d.ascii(",\"earliest_seq\":").number(t.earliestSeq()).ascii(",\"head_seq\":").number(t.headSeq())
                    .raw((byte) '}');
            frame(WatchCursor.encode(ids), "tombstone", d);
        }
        ids.put(topic, r.nextFromSeq());
        if (batch.frame() != null) {
            writeId(WatchCursor.encode(ids));
            out.write(batch.frame()); // encoded once for every stream that reads the same batch
            out.flush();
            lastSentMs = clock.millis();
        }
        if (!s.advance(stream.generation(), topic, cursor, r.nextFromSeq())) {
            return false; // a newer stream moved it: this one is about to end
        }
        if (!r.caughtUp()) {
            live.put(topic, false); // behind: a backlog to drain, and caught-up again after it
            return true;
        }
        if (!live.getOrDefault(topic, false)) {
            live.put(topic, true);
            frame(WatchCursor.encode(s.cursors()), "caught-up", "{\"topic\":" + quote(topic) + ",\"head_seq\":"
                    + r.headSeq() + "}");
        }
        return false;
    }

    /**
     * A {@code record} frame's event and data lines, up to its end, for a read from
     * {@code cursor}; null when the read holds no record. The {@code id:} line, which depends
     * on the session's other cursors, is written before it per stream.
     */
    private static byte[] recordFrame(String topic, long cursor, DiffResult r, JsonOut records) {
        if (r.records() == 0) {
            return null;
        }
        Tombstone t = r.tombstone();
        // after a tombstone the batch follows its gap; a recreated one starts where the read did
        long from = t == null ? cursor
                : t.reason().equals("recreated") ? r.nextFromSeq() - r.scanned() : t.gapTo();
        JsonOut f = new JsonOut(records.size() + 160).ascii("event: record\ndata: {\"topic\":").string(topic)
                .ascii(",\"from_seq\":").number(from).ascii(",\"head_seq\":").number(r.headSeq())
                .ascii(",\"records\":[");
        f.raw(records.toByteArray(), 0, records.size());
        return f.ascii("],\"to_seq\":").number(r.nextFromSeq()).ascii("}\n\n").toByteArray();
    }

    /**
     * Sleeps until a watched topic moves, a newer stream takes the session over, the server
     * stops, or a heartbeat falls due; sends {@code : hb} after {@code heartbeat_ms} of quiet.
     * Every wake sends the stream round its loop, which finds out why.
     */
    private void awaitAppend(WatchSession s) throws IOException {
        CompletableFuture<Void> wake = new CompletableFuture<>();
        List<Engine.Listening> listening = new ArrayList<>();
        try {
            boolean replaying = false;
            for (String topic : s.cursors().keySet()) {
                Long seen = readAt.get(topic);
                try {
                    listening.add(engine.listen(topic, wake));
                    if (seen != null && engine.readVersion(topic) != seen) {
                        return; // it moved since it was read, before the listening began
                    }
                } catch (TopicsException e2) {
                    if (e2.code() == ErrorCode.TOPIC_NOT_FOUND) {
                        return; // deleted: the next pass says so
                    }
                }
                // not read yet (still replaying after a restart): look again after a check period
                replaying |= seen == null;
            }
            sleep(s, wake, replaying);
        } finally {
            listening.forEach(Engine.Listening::close);
        }
    }

    /** Waits for {@code wake}, which a topic's append, a takeover, the stop or the sessions' ticker completes. */
    private void sleep(WatchSession s, CompletableFuture<Void> wake, boolean replaying) throws IOException {
        long heartbeat = s.options().heartbeatMs();
        if (clock.millis() - lastSentMs >= heartbeat) {
            write(": hb\n\n");
        }
        long due = lastSentMs + heartbeat;
        sessions.wakeAt(wake, replaying ? Math.min(due, clock.millis() + REPLAY_CHECK_MS) : due);
        s.waits(stream.generation(), wake);
        try {
            wake.get();
        } catch (ExecutionException e) {
            // never completed exceptionally
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            sessions.woken(wake);
        }
    }

    private void frame(String id, String event, String data) throws IOException {
        byte[] utf8 = data.getBytes(StandardCharsets.UTF_8);
        frame(id, event, new JsonOut(utf8.length).raw(utf8, 0, utf8.length));
    }

    /** One frame whose data is the parts, in order, with no copy of them; then a flush. */
    private void frame(String id, String event, JsonOut... data) throws IOException {
        if (id != null) {
            writeId(id);
        }
        out.write(("event: " + event + "\ndata: ").getBytes(StandardCharsets.UTF_8));
        for (JsonOut part : data) {
            part.writeTo(out);
        }
        out.write(FRAME_END);
        out.flush();
        lastSentMs = clock.millis();
    }

    private void writeId(String id) throws IOException {
        out.write(("id: " + id + "\n").getBytes(StandardCharsets.US_ASCII)); // base64url: ASCII
    }

    private static final byte[] FRAME_END = {'\n', '\n'};

    private void write(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        lastSentMs = clock.millis();
    }

    private static String quote(String s) {
        return new JsonOut(s.length() + 8).string(s).toString();
    }
}
