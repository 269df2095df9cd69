package io.topics.api.spi.coldtier;

/** The one checked exception cold-tier plugins throw: the call did not take effect. */
public class ColdTierException extends Exception {
    private static final long serialVersionUID = 1L;

    public ColdTierException(String message) {
        super(message);
    }

    public ColdTierException(String message, Throwable cause) {
        super(message, cause);
    }
}
