package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.helidon.webserver.WebServer;
import io.topics.api.spi.auth.Authenticator;
import io.topics.api.spi.auth.Principal;
import io.topics.api.spi.auth.Scope;
import io.topics.server.engine.Engine;
import io.topics.server.engine.EngineLimits;
import io.topics.server.watch.WatchSessions;
import io.topics.server.watch.WriteDeadline;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spec §15's counted caps: SSE streams in total and per key, requests in flight per key. Each
 * is refused with {@code 429 throttled} at its cap, and every slot comes back however its
 * request or stream ended: an error, a client that closed, a client that vanished.
 */
class ConnectionCapsTest {
    /** Keys "alice" and "bob" with every scope; "narrow" may only touch names starting "n.". */
    static final Authenticator KEYS = new Authenticator() {
        @Override
        public Optional<Principal> authenticate(String token) {
            if (token == null) {
                return Optional.empty();
            }
            return switch (token) {
                case "alice", "bob" -> Optional.of(new Principal(token, EnumSet.allOf(Scope.class), List.of()));
                case "narrow" -> Optional.of(new Principal(token, EnumSet.allOf(Scope.class), List.of("n.")));
                default -> Optional.empty();
            };
        }

        @Override
        public boolean enabled() {
            return true;
        }
    };

    @TempDir
    Path dir;
    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    @Test
    void sseConnectionsAreCappedInTotalAndTheSlotsComeBackWhenClientsCloseOrVanish() throws Exception {
        // auth is off: the per-key caps do not apply, even set to 1
        ServerFixture srv = new ServerFixture(dir, Map.of("TOPICS_MAX_SSE_CONNECTIONS", "2",
                "TOPICS_MAX_SSE_CONNECTIONS_PER_KEY", "1", "TOPICS_MAX_INFLIGHT_PER_KEY", "1"));
        open.add(srv);
        int port = srv.server.port();
        srv.json("PUT", "/v0/topics/t", "{}");
        String s1 = watch(port, null);
        String s2 = watch(port, null);
        String s3 = watch(port, null);
        Socket first = stream(port, s1, null, 200);
        Socket second = stream(port, s2, null, 200);
        Raw refused = Raw.send(port, get("/v0/watch/" + s3, null));
        assertEquals(429, refused.status(), refused.text());
        assertTrue(refused.text().contains("\"code\":\"throttled\""), refused.text());
        assertTrue(refused.text().contains("\"detail\":{\"limit\":\"max_sse_connections\",\"max\":2}")
                || refused.text().contains("\"detail\":{\"max\":2,\"limit\":\"max_sse_connections\"}"), refused.text());
        assertTrue(refused.text().contains("Retry-After: 1"), refused.text());
        assertEquals(2, openStreams(srv));
        CompletableFuture<Raw> poll = CompletableFuture.supplyAsync(() -> Raw.send(port,
                post("/v0/topics/t/diff", "{\"wait_ms\":20000}", null)));
        Thread.sleep(200);
        assertEquals(200, Raw.send(port, get("/v0/topics", null)).status(), "no per-key cap without auth");
        assertEquals(200, srv.json("POST", "/v0/topics/t", "{\"records\":[{\"data\":1}]}").status());
        assertEquals(200, poll.get(10, TimeUnit.SECONDS).status());

        vanish(first); // a reset: the server learns it on its next heartbeat
        second.close(); // an orderly close
        awaitStream(port, s3, null); // a slot came back
        Socket again = awaitStream(port, s1, null); // and the other one
        assertEquals(429, Raw.send(port, get("/v0/watch/" + s2, null)).status(), "two are open again");
        again.close();
    }

    @Test
    void perKeyCapsCountEachKeyAndAStreamHoldsNoRequestSlot() throws Exception {
        Hand srv = hand(new ConnectionCaps(10, 1, 1));
        String a1 = watch(srv.port, "alice");
        String a2 = watch(srv.port, "alice");
        String b1 = watch(srv.port, "bob");
        Socket alice = stream(srv.port, a1, "alice", 200);
        Raw refused = Raw.send(srv.port, get("/v0/watch/" + a2, "alice"));
        assertEquals(429, refused.status());
        assertTrue(refused.text().contains("\"limit\":\"max_sse_connections_per_key\""), refused.text());
        stream(srv.port, b1, "bob", 200); // another key has its own
        assertEquals(200, Raw.send(srv.port, get("/v0/topics", "alice")).status(),
                "alice's open stream holds none of her request slots");

        vanish(alice);
        awaitStream(srv.port, a2, "alice");
    }

    @Test
    void requestsInFlightAreCappedPerKeyAndEveryEndingGivesTheSlotBack() throws Exception {
        Hand srv = hand(new ConnectionCaps(10, 10, 1));
        String poll = post("/v0/topics/t/diff", "{\"wait_ms\":20000}", "alice");
        CompletableFuture<Raw> waiting = CompletableFuture.supplyAsync(() -> Raw.send(srv.port, poll));
        awaitTrue(() -> srv.admission.requestsInFlight("alice") == 1, "alice's long poll holds her slot");
        Raw refused = Raw.send(srv.port, get("/v0/topics", "alice"));
        assertEquals(429, refused.status());
        assertTrue(refused.text().contains("\"limit\":\"max_inflight_per_key\""), refused.text());
        assertTrue(refused.text().contains("Retry-After: 1"), refused.text());
        assertEquals(200, Raw.send(srv.port, get("/v0/topics", "bob")).status(), "bob has his own");
        assertEquals(200, Raw.send(srv.port, post("/v0/topics/t", "{\"records\":[{\"data\":1}]}", "bob")).status());
        assertEquals(200, waiting.get(10, TimeUnit.SECONDS).status(), "the append woke the long poll");

        // requests that fail give their slot back: with a cap of 1 a leak shows on the next one
        String[][] failing = {
            {"404", get("/v0/topics/absent", "alice")},
            {"400", post("/v0/topics/t", "{\"records\":", "alice")},
            {"400", post("/v0/topics/t/diff", "{\"from_seq\":-1}", "alice")},
            {"405", "PATCH /v0/topics/t HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice\r\n"
                + "Content-Length: 0\r\n\r\n"},
            {"403", get("/v0/topics/t", "narrow")},
            {"200", get("/v0/topics/t", "alice")}};
        for (String[] f : failing) {
            assertEquals(Integer.parseInt(f[0]), Raw.send(srv.port, f[1]).status(), f[1]);
            assertEquals(0, srv.admission.requestsInFlight("alice"), "after " + f[1]);
            assertEquals(0, srv.admission.requestsInFlight("narrow"), "after " + f[1]);
        }

        // a client that vanished while its request waited: the slot comes back when the request ends
        Socket gone = new Socket();
        gone.connect(new InetSocketAddress("127.0.0.1", srv.port));
        gone.getOutputStream().write(post("/v0/topics/t/diff", "{\"from_seq\":1,\"wait_ms\":20000}", "alice")
                .getBytes(StandardCharsets.UTF_8));
        awaitTrue(() -> srv.admission.requestsInFlight("alice") == 1, "the poll started");
        vanish(gone);
        assertEquals(200, Raw.send(srv.port, post("/v0/topics/t", "{\"records\":[{\"data\":2}]}", "bob")).status());
        awaitTrue(() -> srv.admission.requestsInFlight("alice") == 0, "the abandoned poll ended and gave its slot back");
        assertEquals(200, Raw.send(srv.port, get("/v0/topics", "alice")).status());
    }

    /** A server built by hand around the test {@link #KEYS}, as in {@link PhaseTest}. */
    record Hand(int port, Admission admission) {
    }

    Hand hand(ConnectionCaps caps) throws Exception {
        InstantSource clock = InstantSource.system();
        ServerState state = new ServerState(clock.millis());
        state.ready();
        Engine engine = new Engine(clock, EngineLimits.DEFAULTS, Set.of("disk", "fsync"));
        engine.putTopic("t", io.topics.server.engine.ConfigPatch.EMPTY);
        WriteDeadline deadline = new WriteDeadline(clock, 0, false);
        WatchSessions sessions = new WatchSessions(clock, 0).ticking(50); // heartbeats find vanished clients
        open.add(sessions::close);
        Routes routes = new Routes(engine, state, KEYS, ProtocolLimits.DEFAULTS, caps, new Connections(clock, 0, false),
                clock, false, () -> null,
                sessions, deadline);
        WebServer server = WebServer.builder().host("127.0.0.1").port(0).directHandlers(Routes.directHandlers())
                .routing(routes::register).build().start();
        open.add(server::stop);
        return new Hand(server.port(), routes.admission());
    }

    /** Creates a watch session on topic t with 1 s heartbeats; returns its wid. */
    static String watch(int port, String key) {
        Raw r = Raw.send(port, post("/v0/watch", "{\"topics\":{\"t\":{}},\"heartbeat_ms\":1000}", key));
        assertEquals(200, r.status(), r.text());
        int at = r.text().indexOf("\"wid\":\"") + 7;
        return r.text().substring(at, r.text().indexOf('"', at));
    }

    /** Opens a stream on a raw socket and reads its status line; the stream stays open. */
    Socket stream(int port, String wid, String key, int status) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port));
        s.setSoTimeout(10_000);
        open.add(s);
        s.getOutputStream().write(get("/v0/watch/" + wid, key).getBytes(StandardCharsets.UTF_8));
        String line = Raw.line(s.getInputStream());
        assertEquals(status, Integer.parseInt(line.split(" ")[1]), line);
        return s;
    }

    /** Retries opening a stream until it is admitted (a slot came back). */
    Socket awaitStream(int port, String wid, String key) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Raw r = Raw.send(port, get("/v0/watch/" + wid, key), true);
            if (r.status() != 429) {
                assertEquals(200, r.status(), r.text());
                open.add(r.socket());
                return r.socket();
            }
            assertTrue(System.nanoTime() < until, "no slot came back within 10 s");
            Thread.sleep(50);
        }
    }

    /** Closes with a reset, as a client that crashed or lost its network. */
    static void vanish(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
    }

    static int openStreams(ServerFixture srv) {
        String metrics = srv.send("GET", "/v0/metrics", null).body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^topics_sse_connections (\\d+)").matcher(metrics);
        assertTrue(m.find(), metrics);
        return Integer.parseInt(m.group(1));
    }

    static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        WatchHttpTest.awaitTrue(condition, what);
    }

    static String get(String path, String key) {
        return "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + bearer(key) + "\r\n";
    }

    static String post(String path, String body, String key) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + bearer(key) + "Content-Type: application/json\r\n"
                + "Content-Length: " + b.length + "\r\n\r\n" + body;
    }

    private static String bearer(String key) {
        return key == null ? "" : "Authorization: Bearer " + key + "\r\n";
    }

    /**
     * One request on its own connection, closed after the answer: status and the raw text
     * (headers and body). With {@code keepStream}, a 200 is left open after its headers.
     */
    record Raw(int status, String text, Socket socket) {
        static Raw send(int port, String request) {
            return send(port, request, false);
        }

        static Raw send(int port, String request, boolean keepStream) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress("127.0.0.1", port));
                s.setSoTimeout(30_000);
                s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
                InputStream in = s.getInputStream();
                StringBuilder text = new StringBuilder();
                int length = -1;
                for (String line = line(in); !line.isEmpty(); line = line(in)) {
                    text.append(line).append('\n');
                    if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                int status = Integer.parseInt(text.toString().split(" ")[1]);
                if (keepStream && status == 200) {
                    return new Raw(status, text.toString(), s);
                }
                if (length > 0) {
                    text.append(new String(in.readNBytes(length), StandardCharsets.UTF_8));
                }
                s.close();
                return new Raw(status, text.toString(), null);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** One CRLF-terminated line, without its end. */
        static String line(InputStream in) throws IOException {
            StringBuilder b = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new java.io.EOFException("connection closed after \"" + b + "\"");
                }
                if (c != '\r') {
                    b.append((char) c);
                }
            }
            return b.toString();
        }
    }
}
