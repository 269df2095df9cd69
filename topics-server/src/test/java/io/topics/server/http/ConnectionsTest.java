package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import io.topics.server.engine.TestingClock;
import org.junit.jupiter.api.Test;

/** The read timeout over NIO: idle connections close, busy ones stay, a stalled body's input ends. */
class ConnectionsTest {
    final TestingClock clock = new TestingClock(1_000);
    final Connections connections = new Connections(clock, 60_000, false);

    @Test
    void idleConnectionsCloseAfterTheTimeoutBusyOnesOnlyWhenTheirBodyIsLate() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel idleClient = SocketChannel.open(listener.getLocalAddress());
             SocketChannel idle = listener.accept();
             SocketChannel busyClient = SocketChannel.open(listener.getLocalAddress());
             SocketChannel busy = listener.accept()) {
            connections.accepted(idle);
            connections.accepted(busy);
            Connections.Busy request = connections.busy(busy.getLocalAddress(), busy.getRemoteAddress());
            clock.advance(59_999);
            assertEquals(0, connections.sweep());
            clock.advance(1);
            assertEquals(1, connections.sweep());
            assertFalse(idle.isOpen(), "idle for the timeout: closed");
            assertTrue(busy.isOpen(), "a request in progress (a watch stream, a long poll) is never idle");

            request.bodyDue();
            clock.advance(59_999);
            assertEquals(0, connections.sweep());
            clock.advance(1);
            assertEquals(1, connections.sweep());
            assertTrue(busy.isOpen(), "its input ended, its output stays for the answer");
            assertEquals(-1, busy.read(ByteBuffer.allocate(8)), "the body's read sees its end");
            request.close();
            clock.advance(59_999);
            assertEquals(0, connections.sweep(), "timed from its last answer");
            clock.advance(1);
            assertEquals(1, connections.sweep());
            assertFalse(busy.isOpen());
        }
    }

    @Test
    void zeroMeansNoTimeoutAndAnUnknownPeerIsNotTracked() throws Exception {
        Connections none = new Connections(clock, 0, true);
        try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel client = SocketChannel.open(listener.getLocalAddress());
             SocketChannel accepted = listener.accept()) {
            none.accepted(accepted);
            clock.advance(Long.MAX_VALUE / 4);
            assertEquals(0, none.sweep());
            assertTrue(accepted.isOpen());
            connections.busy(null, null).close(); // a server built without registration: nothing to time
        }
        none.close();
    }

    @Test
    void oneClientAddressReachingTwoServerAddressesIsTwoConnections() throws Exception {
        try (ServerSocketChannel one = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             ServerSocketChannel two = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.2", 0));
             SocketChannel c1 = SocketChannel.open();
             SocketChannel c2 = SocketChannel.open()) {
            c1.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
            c2.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
            c1.bind(new InetSocketAddress("127.0.0.1", 0));
            c2.bind(c1.getLocalAddress()); // the same client address and port
            c1.connect(one.getLocalAddress());
            c2.connect(two.getLocalAddress());
            try (SocketChannel stalled = one.accept(); SocketChannel healthy = two.accept()) {
                assertEquals(stalled.getRemoteAddress(), healthy.getRemoteAddress());
                connections.accepted(stalled);
                connections.accepted(healthy);
                Connections.Busy late = connections.busy(stalled.getLocalAddress(), stalled.getRemoteAddress());
                Connections.Busy fine = connections.busy(healthy.getLocalAddress(), healthy.getRemoteAddress());
                late.bodyDue();
                clock.advance(60_000);
                assertEquals(1, connections.sweep());
                assertEquals(-1, stalled.read(ByteBuffer.allocate(8)), "the late body's own connection is cut");
                healthy.configureBlocking(false);
                assertEquals(0, healthy.read(ByteBuffer.allocate(8)), "the other one is untouched");
                fine.close();
                late.close();
            }
        }
    }
}
