package io.topics.api;

/**
 * Every error the /v0 API can answer, with its HTTP status and the stable snake_case code
 * clients branch on (spec §1.7).
 */
public enum ErrorCode {
    INVALID_REQUEST(400, "invalid_request"),
    BATCH_TOO_LARGE(400, "batch_too_large"),
    RECORD_TOO_LARGE(400, "record_too_large"),
    UNAUTHORIZED(401, "unauthorized"),
    FORBIDDEN(403, "forbidden"),
    TOPIC_NOT_FOUND(404, "topic_not_found"),
    ROUTER_NOT_FOUND(404, "router_not_found"),
    NOT_FOUND(404, "not_found"),
    METHOD_NOT_ALLOWED(405, "method_not_allowed"),
    NOT_ACCEPTABLE(406, "not_acceptable"),
    TOPIC_EXISTS_INCOMPATIBLE(409, "topic_exists_incompatible"),
    TOPIC_NOT_EMPTY(409, "topic_not_empty"),
    ROUTER_CYCLE(409, "router_cycle"),
    NOT_A_QUEUE(409, "not_a_queue"),
    PAYLOAD_TOO_LARGE(413, "payload_too_large"),
    UNSUPPORTED_MEDIA_TYPE(415, "unsupported_media_type"),
    TOPIC_FULL(422, "topic_full"),
    THROTTLED(429, "throttled"),
    INTERNAL(500, "internal"),
    NOT_READY(503, "not_ready"),
    SHUTTING_DOWN(503, "shutting_down");

    private final int status;
    private final String code;

    ErrorCode(int status, String code) {
        this.status = status;
        this.code = code;
    }

    /** The HTTP status this error is answered with. */
    public int status() {
        return status;
    }

    /** The wire code, e.g. {@code topic_not_found}. */
    public String code() {
        return code;
    }
}
