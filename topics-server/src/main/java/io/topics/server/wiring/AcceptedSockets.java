package io.topics.server.wiring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketOption;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import io.helidon.common.socket.SocketOptions;

/**
 * How every accepted connection is set up: Helidon's socket options, plus a read timeout.
 * Helidon 4.5's server reads its sockets without one (its {@code readTimeout} is only for
 * clients), so a client that sends nothing would hold its connection for ever: before its first
 * request (Helidon's idle-connection sweep never sees a connection that sent no byte), halfway
 * through its headers, or halfway through its body. {@code SO_TIMEOUT} bounds each such wait;
 * it holds for reads through the socket's streams, so with a timeout the listener must not
 * use NIO channel reads ({@code useNio(false)}). A watch stream is not hurt by it: while the server writes a
 * stream it reads nothing.
 */
final class AcceptedSockets implements SocketOptions {
    private final SocketOptions helidon;
    private final int readTimeoutMs;

    /**
     * @param sendBufferBytes a fixed kernel send buffer; 0 leaves it to the OS
     * @param readTimeoutMs   the longest wait for a client's next bytes; 0 for none
     */
    static AcceptedSockets create(int sendBufferBytes, long readTimeoutMs) {
        SocketOptions.Builder helidon = SocketOptions.builder()
                .tcpNoDelay(true); // without it small responses stall ~40 ms on Nagle + delayed ACK
        if (sendBufferBytes > 0) {
            helidon.socketSendBufferSize(sendBufferBytes);
        }
        return new AcceptedSockets(helidon.build(), readTimeoutMs);
    }

    private AcceptedSockets(SocketOptions helidon, long readTimeoutMs) {
        this.helidon = helidon;
        this.readTimeoutMs = (int) Math.min(Integer.MAX_VALUE, readTimeoutMs);
    }

    @Override
    public void configureSocket(SocketChannel channel) {
        helidon.configureSocket(channel);
        readTimeout(channel.socket());
    }

    @Override
    public void configureSocket(Socket socket) {
        helidon.configureSocket(socket);
        readTimeout(socket);
    }

    private void readTimeout(Socket socket) {
        try {
            socket.setSoTimeout(readTimeoutMs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Map<SocketOption<?>, Object> socketOptions() {
        return helidon.socketOptions();
    }

    @Override
    public Duration connectTimeout() {
        return helidon.connectTimeout();
    }

    @Override
    public Duration readTimeout() {
        return Duration.ofMillis(readTimeoutMs);
    }

    @Override
    public Optional<Integer> socketReceiveBufferSize() {
        return helidon.socketReceiveBufferSize();
    }

    @Override
    public Optional<Integer> socketSendBufferSize() {
        return helidon.socketSendBufferSize();
    }

    @Override
    public boolean socketReuseAddress() {
        return helidon.socketReuseAddress();
    }

    @Override
    public boolean socketKeepAlive() {
        return helidon.socketKeepAlive();
    }

    @Override
    public boolean tcpNoDelay() {
        return helidon.tcpNoDelay();
    }
}
