package io.topics.server.wiring;

import java.net.Socket;
import java.net.SocketOption;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import io.helidon.common.socket.SocketOptions;
import io.topics.server.http.Connections;

/**
 * How every accepted connection is set up: Helidon's socket options (TCP_NODELAY, the send
 * buffer), and registration with {@link Connections}, which times idle connections and stalled
 * bodies: Helidon 4.5's server has no read timeout of its own, and its NIO reads ignore a
 * socket's.
 */
final class AcceptedSockets implements SocketOptions {
    private final SocketOptions helidon;
    private final Connections connections;

    /** @param sendBufferBytes a fixed kernel send buffer; 0 leaves it to the OS */
    static AcceptedSockets create(int sendBufferBytes, Connections connections) {
        SocketOptions.Builder helidon = SocketOptions.builder()
                .tcpNoDelay(true); // without it small responses stall ~40 ms on Nagle + delayed ACK
        if (sendBufferBytes > 0) {
            helidon.socketSendBufferSize(sendBufferBytes);
        }
        return new AcceptedSockets(helidon.build(), connections);
    }

    private AcceptedSockets(SocketOptions helidon, Connections connections) {
        this.helidon = helidon;
        this.connections = connections;
    }

    @Override
    public void configureSocket(SocketChannel channel) {
        helidon.configureSocket(channel);
        connections.accepted(channel);
    }

    /** Helidon's non-NIO listener, which this server does not use. */
    @Override
    public void configureSocket(Socket socket) {
        helidon.configureSocket(socket);
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
        return helidon.readTimeout();
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
