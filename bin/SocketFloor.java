import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The floor under watch fan-out latency on this machine: no HTTP, no engine, no JSON. One
 * "server" writes one SSE-sized frame to each of N loopback sockets per round, from N virtual
 * threads (as the server's streams do); one selector thread reads them all (as bench watch
 * does). Prints the write-to-read latency of every delivery, p50/p99/max, like bench watch.
 *   java bin/SocketFloor.java [N=1000] [ROUNDS=300] [INTERVAL_MS=20]
 */
public class SocketFloor {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        int intervalMs = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0), n);
        List<SocketChannel> server = new ArrayList<>();
        Selector selector = Selector.open();
        for (int i = 0; i < n; i++) {
            SocketChannel c = SocketChannel.open(listener.getLocalAddress());
            SocketChannel s = listener.accept();
            s.setOption(StandardSocketOptions.TCP_NODELAY, true);
            server.add(s);
            c.configureBlocking(false);
            c.register(selector, SelectionKey.OP_READ);
        }
        byte[] frame = ("id: eyJ3MTAwMCI6MTIzfQ\nevent: record\ndata: {\"topic\":\"w1000\",\"from_seq\":122,"
                + "\"head_seq\":123,\"records\":[{\"$seq\":123,\"$ts\":1764150000000,\"data\":{\"t\":12345678901234}}],"
                + "\"to_seq\":123}\n\n").getBytes(StandardCharsets.US_ASCII);
        long[] latencies = new long[n * rounds];
        int[] got = {0};
        long[] sentAt = {0};
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            ByteBuffer b = ByteBuffer.allocate(1 << 16);
            try {
                while (true) {
                    selector.select();
                    long now = System.nanoTime();
                    for (SelectionKey k : selector.selectedKeys()) {
                        b.clear();
                        int read = ((SocketChannel) k.channel()).read(b);
                        for (int f = 0; f < read / frame.length && got[0] < latencies.length; f++) {
                            latencies[got[0]++] = now - sentAt[0];
                        }
                    }
                    selector.selectedKeys().clear();
                }
            } catch (Exception stopped) {
                // done
            }
        });
        for (int r = 0; r < rounds; r++) {
            sentAt[0] = System.nanoTime();
            List<Thread> writers = new ArrayList<>(n);
            for (SocketChannel s : server) {
                writers.add(Thread.ofVirtual().start(() -> {
                    try {
                        s.write(ByteBuffer.wrap(frame));
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            for (Thread t : writers) {
                t.join();
            }
            Thread.sleep(intervalMs);
        }
        Thread.sleep(500);
        long[] done = Arrays.copyOf(latencies, got[0]);
        Arrays.sort(done);
        System.out.printf("socket floor: %d sockets x %d rounds, %d deliveries%n", n, rounds, done.length);
        System.out.printf("write-to-read p50 %.3f ms  p99 %.3f ms  max %.3f ms%n", done[done.length / 2] / 1e6,
                done[(int) (done.length * 0.99)] / 1e6, done[done.length - 1] / 1e6);
        reader.interrupt();
    }
}
