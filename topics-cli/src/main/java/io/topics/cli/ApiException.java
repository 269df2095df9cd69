package io.topics.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The server answered with an error body {@code {"error":{"code","message","detail"}}}
 * (spec §1.6). {@link #getMessage()} is the server's message.
 */
public final class ApiException extends Exception {
    private static final long serialVersionUID = 1L;
    private static final int MAX_RAW_MESSAGE = 200;

    private final int status;
    private final String code;

    public ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    /** The HTTP status, e.g. 404. */
    public int status() {
        return status;
    }

    /** The stable snake_case code, e.g. {@code topic_not_found}; {@code http_<status>} if the body had none. */
    public String code() {
        return code;
    }

    /** Reads the canonical error body; anything else (a proxy page, an empty body) keeps the status. */
    static ApiException fromAnswer(int status, byte[] body) {
        try {
            JsonNode error = Json.parse(body).path("error");
            if (error.path("code").isTextual()) {
                String message = error.path("message").asText("");
                return new ApiException(status, error.get("code").asText(), message.isEmpty() ? "(no message)" : message);
            }
        } catch (IOException e) {
            // not JSON: fall through to the raw text
        }
        String raw = new String(body, StandardCharsets.UTF_8).strip();
        if (raw.length() > MAX_RAW_MESSAGE) {
            raw = raw.substring(0, MAX_RAW_MESSAGE) + "...";
        }
        return new ApiException(status, "http_" + status, raw.isEmpty() ? "HTTP status " + status : raw);
    }
}
