package io.topics.server.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The browser's side of {@link BrowserWatchTest}: one origin on 127.0.0.1 that serves the test
 * page, takes the page's reports, and relays {@code /v0/...} to the topics server, so the page
 * needs no CORS. It is plain sockets, one request per connection ({@code Connection: close}
 * both ways), and the relay copies the server's bytes to the browser as they come: the test
 * can hold the watch stream (what the server sends is lost on the way) and cut it.
 */
final class BrowserFront implements AutoCloseable {
    /** The page: one watch on topics a and b; it reports, in order, every event it sees. */
    static final String PAGE = """
            <!doctype html><meta charset="utf-8"><title>watch</title>
            <script>
            let reports = Promise.resolve(), n = 0;
            // one report at a time, so the test sees them in the order they happened
            function report(r) {
              r.n = n++;
              reports = reports.then(() => fetch('/report', {method: 'POST', body: JSON.stringify(r)}))
                  .catch(e => console.error('report failed', e));
            }
            fetch('/v0/watch', {method: 'POST', headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({topics: {a: {from_seq: 0}, b: {from_seq: 0}}})})
              .then(r => r.json())
              .then(w => {
                const es = new EventSource(w.stream_url);
                es.onopen = () => report({type: 'open'});
                es.onerror = () => report({type: 'error', readyState: es.readyState});
                es.addEventListener('record', e => {
                  const f = JSON.parse(e.data);
                  report({type: 'record', topic: f.topic, seqs: f.records.map(r => r.$seq), lastEventId: e.lastEventId});
                });
              })
              .catch(e => report({type: 'failed', error: String(e)}));
            </script>
            """;

    /** What the page reported, in the order it reported it. */
    final BlockingQueue<Map<String, Object>> reports = new LinkedBlockingQueue<>();
    /** The request headers of every watch stream the browser opened, in order. */
    final List<Map<String, String>> streams = new CopyOnWriteArrayList<>();

    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile Relay stream; // the browser's watch stream now

    BrowserFront(String upstreamBase) throws IOException {
        URI u = URI.create(upstreamBase);
        upstream = new InetSocketAddress(u.getHost(), u.getPort());
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("front-accept").start(() -> {
            while (!listener.isClosed()) {
                try {
                    Socket s = listener.accept();
                    open.add(s);
                    Thread.ofVirtual().start(() -> serve(s));
                } catch (IOException closed) {
                    return;
                }
            }
        });
    }

    String url() {
        return "http://127.0.0.1:" + listener.getLocalPort() + "/";
    }

    /** From now on the watch stream's bytes are read from the server but not passed on. */
    void hold() {
        stream.holding = true;
    }

    /** What the server sent on the watch stream so far, with its chunked framing removed. */
    String streamed() {
        return stream.body();
    }

    /** Drops the watch stream: both its connections, the browser's and the server's. */
    void cut() {
        Relay r = stream;
        close(r.browser);
        close(r.server);
    }

    private void serve(Socket browser) {
        try (browser) {
            InputStream in = browser.getInputStream();
            String head = readHead(in);
            String[] line = head.substring(0, head.indexOf("\r\n")).split(" ");
            Map<String, String> headers = headers(head);
            byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("Content-Length", "0")));
            String method = line[0], path = line[1];
            if (path.startsWith("/v0/")) {
                relay(browser, line, headers, body);
            } else if (method.equals("GET") && path.equals("/")) {
                respond(browser, "200 OK", "text/html; charset=utf-8", PAGE);
            } else if (method.equals("POST") && path.equals("/report")) {
                reports.add(TestJson.object(new String(body, StandardCharsets.UTF_8)));
                respond(browser, "204 No Content", "text/plain", "");
            } else {
                respond(browser, "404 Not Found", "text/plain", "not here");
            }
        } catch (IOException | RuntimeException gone) {
            // the browser went away, or the test cut the connection
        } finally {
            open.remove(browser);
        }
    }

    /** Hop-by-hop headers, which the relay sets itself; and no compression, so the test can read the stream. */
    private static final Set<String> OWN_HEADERS = Set.of("host", "connection", "keep-alive", "accept-encoding");

    /** Sends the request on to the server and copies its answer back, the bytes as they come. */
    private void relay(Socket browser, String[] line, Map<String, String> headers, byte[] body) throws IOException {
        StringBuilder head = new StringBuilder(line[0] + " " + line[1] + " HTTP/1.1\r\n");
        headers.forEach((name, value) -> {
            if (!OWN_HEADERS.contains(name.toLowerCase())) {
                head.append(name).append(": ").append(value).append("\r\n");
            }
        });
        head.append("Host: ").append(upstream.getHostString()).append(':').append(upstream.getPort())
                .append("\r\nConnection: close\r\n\r\n");
        try (Socket server = new Socket(upstream.getAddress(), upstream.getPort())) {
            open.add(server);
            server.setTcpNoDelay(true);
            browser.setTcpNoDelay(true);
            OutputStream up = server.getOutputStream();
            up.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            up.write(body);
            up.flush();
            Relay r = new Relay(browser, server);
            if (line[0].equals("GET") && line[1].startsWith("/v0/watch/")) {
                streams.add(headers);
                stream = r;
            }
            r.copy();
        } finally {
            open.removeIf(Socket::isClosed); // this server socket, now closed
        }
    }

    /** One relayed answer: the server's bytes, passed on to the browser unless held. */
    private static final class Relay {
        final Socket browser;
        final Socket server;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        volatile boolean holding;

        Relay(Socket browser, Socket server) {
            this.browser = browser;
            this.server = server;
        }

        void copy() throws IOException {
            InputStream in = server.getInputStream();
            OutputStream out = browser.getOutputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                synchronized (received) {
                    received.write(buf, 0, n);
                }
                if (!holding) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            }
        }

        /** The answer's body so far, chunked transfer coding undone (a partial last chunk included). */
        String body() {
            String raw; // one char a byte, so that chunk sizes count chars
            synchronized (received) {
                raw = received.toString(StandardCharsets.ISO_8859_1);
            }
            int at = raw.indexOf("\r\n\r\n") + 4;
            String body = raw.substring(at);
            if (headers(raw.substring(0, at)).getOrDefault("Transfer-Encoding", "").contains("chunked")) {
                StringBuilder chunks = new StringBuilder();
                for (int eol; at < raw.length() && (eol = raw.indexOf("\r\n", at)) > 0; ) {
                    int size = Integer.parseInt(raw.substring(at, eol).split(";")[0].trim(), 16);
                    chunks.append(raw, eol + 2, Math.min(raw.length(), eol + 2 + size));
                    at = size == 0 ? raw.length() : eol + 2 + size + 2;
                }
                body = chunks.toString();
            }
            return new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        for (int b; (b = in.read()) >= 0; ) {
            head.write(b);
            if (head.size() >= 4 && head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        throw new IOException("connection closed before the request head ended");
    }

    /** The header fields of a request or response head (its first line skipped), names case-insensitive. */
    private static Map<String, String> headers(String head) {
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        String[] fields = head.split("\r\n");
        for (String field : java.util.Arrays.copyOfRange(fields, 1, fields.length)) { // after the first line
            int colon = field.indexOf(':');
            if (colon > 0) {
                headers.put(field.substring(0, colon).trim(), field.substring(colon + 1).trim());
            }
        }
        return headers;
    }

    private static void respond(Socket s, String status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write(("HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\nContent-Length: " + bytes.length
                + "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(bytes);
        out.flush();
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        open.forEach(BrowserFront::close);
    }
}
