package io.topics.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The one unchecked exception of the engine and HTTP layer. It always carries an
 * {@link ErrorCode}, so the edge can answer the documented status and body without guessing.
 * Detail values are strings, numbers, booleans, lists of those, or null.
 */
public final class TopicsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final transient Map<String, Object> detail;

    public TopicsException(ErrorCode code, String message) {
        this(code, message, Map.of());
    }

    public TopicsException(ErrorCode code, String message, Map<String, ?> detail) {
        super(Objects.requireNonNull(message, "message is null"), null, false, false);
        this.code = Objects.requireNonNull(code, "code is null");
        this.detail = Collections.unmodifiableMap(new LinkedHashMap<>(detail));
    }

    public static TopicsException invalid(String message) {
        return new TopicsException(ErrorCode.INVALID_REQUEST, message);
    }

    public static TopicsException topicNotFound(String topic) {
        return new TopicsException(ErrorCode.TOPIC_NOT_FOUND, "topic \"" + topic + "\" does not exist",
                Map.of("topic", topic));
    }

    public ErrorCode code() {
        return code;
    }

    /** Structured context for the error body; empty when there is none. Never null. */
    public Map<String, Object> detail() {
        return detail;
    }
}
