package io.topics.testkit.storage;

/**
 * Thrown by every seam call after the crash point of a {@link FaultInjector}: unchecked, so it
 * stops the code under test mid-operation instead of entering its I/O error handling.
 */
public final class SimulatedCrash extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SimulatedCrash(String message) {
        super(message);
    }
}
