package io.topics.cli;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.common.tls.Tls;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webclient.api.ClientConnection;
import io.helidon.webclient.api.ConnectionKey;
import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.api.TcpClientConnection;
import io.helidon.webclient.api.WebClient;
import io.helidon.webclient.api.WebClientConfig;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientRequest;
import io.helidon.webclient.http1.Http1ClientResponse;

/**
 * A client for the topic endpoints of the /v0 API (spec §4 to §6) over Helidon's blocking
 * {@link WebClient}, HTTP/1.1 with keep-alive. Thread-safe: HTTP/1.1 carries one request per
 * connection at a time, so concurrent callers each take a connection from the client's pool and
 * give it back when the answer has been read. A load generator instead gives each worker a
 * {@link Connection} of its own.
 *
 * <p>Every call either returns the parsed success body or throws {@link ApiException} for an
 * error answer, and {@link IOException} when the server cannot be reached or does not answer.
 * Every answer is read to its end and closed, so that its connection can carry the next request.
 */
public final class TopicsClient implements AutoCloseable {
    /** Every request except a long-poll is answered within 10 s (spec §16.1); allow for load. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Idle connections the pool keeps: as many as the most concurrent callers of a CLI (bench allows 1024). */
    private static final int MAX_IDLE_CONNECTIONS = 1024;
    private static final Header JSON = HeaderValues.create(HeaderNames.CONTENT_TYPE, "application/json");
    private static final Tls NO_TLS = Tls.builder().enabled(false).build();
    private static final List<String> HTTP_1_1 = List.of(Http1Client.PROTOCOL_ID);

    private final WebClient web;
    private final Http1Client http;
    private final URI base;
    private final Header authorization;

    /**
     * @param base e.g. {@code http://127.0.0.1:4000}, without a trailing slash
     * @param apiKey sent as a bearer token; null or empty sends none
     */
    public TopicsClient(URI base, String apiKey) {
        this.base = Objects.requireNonNull(base, "base is null");
        this.authorization = apiKey == null || apiKey.isEmpty() ? null
                : HeaderValues.create(HeaderNames.AUTHORIZATION, "Bearer " + apiKey);
        this.web = WebClient.builder()
                .baseUri(base)
                .connectTimeout(CONNECT_TIMEOUT)
                .readTimeout(REQUEST_TIMEOUT)
                .keepAlive(true)
                .proxy(Proxy.noProxy())
                .followRedirects(false) // as curl: a redirect is shown, not followed
                .sendExpectContinue(false)
                .shareConnectionCache(false) // close() closes this client's connections
                .connectionCacheSize(MAX_IDLE_CONNECTIONS)
                .build();
        this.http = web.client(Http1Client.PROTOCOL);
    }

    public URI base() {
        return base;
    }

    /** The {@code Authorization} value this client sends, or null: for callers that speak HTTP themselves. */
    public String authorization() {
        return authorization == null ? null : authorization.get();
    }

    /** Closes the pool's connections; a {@link Connection} is closed on its own. */
    @Override
    public void close() {
        http.closeResource();
        web.closeResource();
    }

    /** {@code PUT /v0/topics/:t}: create or configure; the answer carries {@code created} and the config. */
    public JsonNode putTopic(String topic, JsonNode config) throws IOException, ApiException {
        return Json.parse(send(request(http.put(topicPath(topic))), Json.bytes(config)));
    }

    /** {@code GET /v0/topics/:t}: the topic's state. */
    public JsonNode topic(String topic) throws IOException, ApiException {
        return Json.parse(send(request(http.get(topicPath(topic))), null));
    }

    /**
     * {@code GET /v0/topics}: one page of the list; {@code next_cursor} is present only when more
     * pages exist.
     *
     * @param prefix null for all topics
     * @param cursor null for the first page
     */
    public JsonNode listTopics(String prefix, int pageSize, String cursor) throws IOException, ApiException {
        Http1ClientRequest r = request(http.get("/v0/topics")).queryParam("page_size", Integer.toString(pageSize));
        if (prefix != null) {
            r.queryParam("prefix", prefix);
        }
        if (cursor != null) {
            r.queryParam("cursor", cursor);
        }
        return Json.parse(send(r, null));
    }

    /** {@code DELETE /v0/topics/:t}; an absent topic answers {@code deleted:false}, not an error. */
    public JsonNode deleteTopic(String topic, boolean ifEmpty) throws IOException, ApiException {
        Http1ClientRequest r = request(http.delete(topicPath(topic)));
        if (ifEmpty) {
            r.queryParam("if_empty", "true");
        }
        return Json.parse(send(r, null));
    }

    /** {@code POST /v0/topics/:t/delete}: permanently deletes the records {@code selector} picks (spec §8). */
    public JsonNode deleteRecords(String topic, JsonNode selector) throws IOException, ApiException {
        return Json.parse(send(request(http.post(topicPath(topic) + "/delete")), Json.bytes(selector)));
    }

    /**
     * {@code POST /v0/topics/:t}: appends one batch, atomically.
     *
     * @param writeRequest the whole request body, {@code {"records":[...]}}
     * @return the answer, with the {@code seqs} the server assigned
     */
    public JsonNode write(String topic, byte[] writeRequest) throws IOException, ApiException {
        return Json.parse(send(request(http.post(topicPath(topic))), writeRequest));
    }

    /**
     * {@code POST /v0/topics/:t/diff}: records after {@code fromSeq} (exclusive).
     *
     * @param waitMs 0 answers at once; more long-polls when there is nothing to return
     */
    public JsonNode diff(String topic, long fromSeq, int limit, int waitMs) throws IOException, ApiException {
        return Json.parse(sendDiff(topic, fromSeq, limit, waitMs));
    }

    /** One server-sent event of a watch stream (spec §11.5). */
    public record Event(String id, String event, String data) {
    }

    /** How long a watch stream may stay silent: two default heartbeats and some slack (spec §11.5). */
    private static final Duration WATCH_WATCHDOG = Duration.ofSeconds(45);

    /** {@code POST /v0/watch} for one topic from {@code fromSeq}: the session's wid. */
    public String watch(String topic, long fromSeq) throws IOException, ApiException {
        com.fasterxml.jackson.databind.node.ObjectNode req = Json.object();
        req.putObject("topics").putObject(topic).put("from_seq", fromSeq);
        return watch(req);
    }

    /** {@code POST /v0/watch} with {@code request} as the body: the session's wid. */
    public String watch(JsonNode request) throws IOException, ApiException {
        return Json.parse(send(request(http.post("/v0/watch")), Json.compact(request).getBytes(StandardCharsets.UTF_8)))
                .path("wid").asText();
    }

    /**
     * {@code GET /v0/watch/:wid}: hands each event to {@code sink} until the stream ends or
     * {@code sink} answers false. Returns whether the stream ended by itself.
     */
    public boolean stream(String wid, String lastEventId, java.util.function.Predicate<Event> sink)
            throws IOException, ApiException {
        Http1ClientRequest r = request(http.get("/v0/watch/" + wid)).readTimeout(WATCH_WATCHDOG)
                .header(HeaderNames.ACCEPT, "text/event-stream");
        if (lastEventId != null) {
            r.header(HeaderNames.create("Last-Event-ID"), lastEventId);
        }
        try (Http1ClientResponse answer = r.request()) {
            if (answer.status().code() / 100 != 2) {
                throw ApiException.fromAnswer(answer.status().code(), body(answer));
            }
            java.io.BufferedReader lines = new java.io.BufferedReader(
                    new java.io.InputStreamReader(answer.inputStream(), StandardCharsets.UTF_8));
            String id = null;
            String event = null;
            StringBuilder data = new StringBuilder();
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isEmpty()) {
                    if (event != null && !sink.test(new Event(id, event, data.toString()))) {
                        return false;
                    }
                    id = null;
                    event = null;
                    data.setLength(0);
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data.append(line, 6, line.length());
                }
            }
            return true;
        } catch (UncheckedIOException e) {
            throw failure(e.getCause(), WATCH_WATCHDOG);
        }
    }

    private byte[] sendDiff(String topic, long fromSeq, int limit, int waitMs) throws IOException, ApiException {
        Duration timeout = REQUEST_TIMEOUT.plusMillis(waitMs);
        Http1ClientRequest r = request(http.post(topicPath(topic) + "/diff"));
        if (waitMs > 0) {
            r.readTimeout(timeout);
        }
        return send(r, diffRequest(fromSeq, limit, waitMs), timeout);
    }

    private static byte[] diffRequest(long fromSeq, int limit, int waitMs) {
        return ("{\"from_seq\":" + fromSeq + ",\"limit\":" + limit + (waitMs > 0 ? ",\"wait_ms\":" + waitMs : "") + "}")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A connection of its own, for one worker of a load generator; it connects on its first
     * request. See {@link Connection}.
     */
    public Connection connection() {
        return new Connection();
    }

    /**
     * One keep-alive connection that carries one caller's requests one after the other and no
     * one else's: N load-generator workers hold exactly N connections, and a request skips the
     * pool (no lookup, and no watch on the idle socket between two requests). Not thread-safe.
     * After a failure, or when the server closed it, the next request opens a new connection.
     */
    public final class Connection implements AutoCloseable {
        private ClientConnection socket;

        private Connection() {
        }

        /**
         * {@code POST /v0/topics/:t?return_seqs=false}: appends one batch, and only checks the
         * status of the answer: a 2xx is success, and its body is read to the end (so that the
         * connection can carry the next request) but not parsed.
         *
         * @param writeRequest the whole request body, {@code {"records":[...]}}
         */
        public void write(String topic, byte[] writeRequest) throws IOException, ApiException {
            Http1ClientRequest r = request(http.post(topicPath(topic))).connection(open())
                    .queryParam("return_seqs", "false").header(JSON);
            try (Http1ClientResponse answer = r.submit(writeRequest)) {
                int status = answer.status().code();
                if (status / 100 != 2) {
                    throw ApiException.fromAnswer(status, body(answer));
                }
                answer.entity().consume();
            } catch (UncheckedIOException e) {
                close();
                throw failure(e.getCause(), REQUEST_TIMEOUT);
            }
        }

        /**
         * {@code POST /v0/topics/:t/diff} without a long-poll, that only counts the records and
         * reads the cursor: no tree per answer.
         */
        public DiffPage diffPage(String topic, long fromSeq, int limit) throws IOException, ApiException {
            byte[] answer;
            try {
                answer = send(request(http.post(topicPath(topic) + "/diff")).connection(open()),
                        diffRequest(fromSeq, limit, 0), REQUEST_TIMEOUT);
            } catch (IOException e) {
                close();
                throw e;
            }
            return count(answer, fromSeq);
        }

        private ClientConnection open() throws IOException {
            if (socket == null) {
                WebClientConfig config = web.prototype();
                ConnectionKey key = ConnectionKey.create(base.getScheme(), base.getHost(), port(), NO_TLS,
                        config.dnsResolver(), config.dnsAddressLookup(), Proxy.noProxy());
                try {
                    // Kept open after each answer (release -> true). Helidon closes it when an
                    // answer cannot be read to its end or says Connection: close, and then the
                    // close callback makes the next request open a new one.
                    socket = TcpClientConnection.create(web, key, HTTP_1_1, c -> true, this::closed).connect();
                } catch (UncheckedIOException e) {
                    throw failure(e.getCause(), REQUEST_TIMEOUT);
                } catch (IllegalArgumentException e) {
                    throw unresolved(e);
                }
            }
            return socket;
        }

        private void closed(TcpClientConnection c) {
            if (socket == c) {
                socket = null;
            }
        }

        @Override
        public void close() {
            if (socket != null) {
                socket.closeResource(); // calls closed()
                socket = null;
            }
        }
    }

    private int port() {
        return base.getPort() >= 0 ? base.getPort() : 80;
    }

    private Http1ClientRequest request(Http1ClientRequest r) {
        return authorization == null ? r : r.header(authorization);
    }

    /**
     * Sends {@code r}, with {@code json} as the body unless null, and returns the body of a 2xx
     * answer. The answer is always read to its end and closed, so that its connection can carry
     * the next request.
     */
    private byte[] send(Http1ClientRequest r, byte[] json) throws IOException, ApiException {
        return send(r, json, REQUEST_TIMEOUT);
    }

    private byte[] send(Http1ClientRequest r, byte[] json, Duration timeout) throws IOException, ApiException {
        try (Http1ClientResponse answer = json == null ? r.request() : r.header(JSON).submit(json)) {
            byte[] body = body(answer);
            int status = answer.status().code();
            if (status / 100 != 2) {
                throw ApiException.fromAnswer(status, body);
            }
            return body;
        } catch (UncheckedIOException e) {
            throw failure(e.getCause(), timeout);
        } catch (IllegalArgumentException e) {
            throw unresolved(e);
        }
    }

    /** Counts the records of a diff answer, and reads its cursor, without a tree. */
    private static DiffPage count(byte[] answer, long fromSeq) throws IOException {
        int records = 0;
        long next = fromSeq;
        boolean caughtUp = false;
        try (JsonParser p = Json.factory().createParser(answer)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("diff answer is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "records" -> {
                        if (value == JsonToken.START_ARRAY) {
                            while (p.nextToken() != JsonToken.END_ARRAY) {
                                records++;
                                p.skipChildren();
                            }
                        }
                    }
                    case "next_from_seq" -> next = p.getLongValue();
                    case "caught_up" -> caughtUp = value == JsonToken.VALUE_TRUE;
                    default -> p.skipChildren();
                }
            }
        }
        return new DiffPage(records, next, caughtUp);
    }

    private static byte[] body(Http1ClientResponse answer) {
        return answer.entity().hasEntity() ? answer.entity().as(byte[].class) : new byte[0];
    }

    /** Names what went wrong, with the server's address, for {@code error: <message>}. */
    private IOException failure(IOException e, Duration readTimeout) {
        return switch (e) {
            case ConnectException c -> new IOException("cannot connect to " + base
                    + (c.getMessage() == null ? ": connection failed (is the server running?)"
                            : ": " + c.getMessage() + " (is the server running?)"), e);
            case SocketTimeoutException t when t.getMessage() != null && t.getMessage().startsWith("Connect") ->
                    new IOException("cannot connect to " + base + " within " + CONNECT_TIMEOUT.toSeconds() + " s", e);
            case SocketTimeoutException t ->
                    new IOException("no answer from " + base + " within " + readTimeout.toSeconds() + " s", e);
            case InterruptedIOException i -> new IOException("request to " + base + " interrupted", e);
            default -> new IOException("request to " + base + " failed" + describe(e), e);
        };
    }

    /** Helidon's resolver throws IllegalArgumentException for a host name it cannot resolve. */
    private IOException unresolved(IllegalArgumentException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("Failed to get address for host")) {
            return new IOException("cannot connect to " + base + ": unknown host " + base.getHost(), e);
        }
        throw e; // anything else is a bug here, not a network failure
    }

    /** Socket exceptions may come with a null message; the cause often says more. */
    private static String describe(Throwable e) {
        Throwable t = e;
        while (t.getMessage() == null && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? " (" + t.getClass().getSimpleName() + ")" : ": " + t.getMessage();
    }

    private static String topicPath(String topic) {
        return "/v0/topics/" + topic;
    }
}
