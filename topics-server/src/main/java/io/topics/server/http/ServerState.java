package io.topics.server.http;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Where the process is in its life: recovering (only health, readiness and metrics answer),
 * ready, or draining for shutdown. Thread-safe.
 */
public final class ServerState {
    public enum Phase { RECOVERING, READY, DRAINING }

    private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.RECOVERING);
    private final long startedAtMs;
    private volatile double recoveryProgress;

    public ServerState(long startedAtMs) {
        this.startedAtMs = startedAtMs;
    }

    public Phase phase() {
        return phase.get();
    }

    public long startedAtMs() {
        return startedAtMs;
    }

    /** 0.0 to 1.0 while recovering; 1.0 afterwards. */
    public double recoveryProgress() {
        return phase.get() == Phase.RECOVERING ? recoveryProgress : 1.0;
    }

    public void recoveryProgress(double progress) {
        recoveryProgress = progress;
    }

    public void ready() {
        phase.compareAndSet(Phase.RECOVERING, Phase.READY);
    }

    public void draining() {
        phase.set(Phase.DRAINING);
    }
}
