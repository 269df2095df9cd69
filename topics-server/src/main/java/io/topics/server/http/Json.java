package io.topics.server.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.topics.api.TopicsException;
import io.topics.server.engine.JsonOut;

/**
 * Streaming JSON reading shared by the request parsers: typed field readers that answer
 * {@code 400 invalid_request} on a wrong type, and {@link #copyValue}, which keeps a value as
 * the exact bytes received (compacted only when it carries whitespace).
 */
final class Json {
    static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(256).build())
            // every request runs on a fresh virtual thread: a thread-local buffer pool would
            // allocate its buffers anew each time, a shared pool reuses them
            .recyclerPool(com.fasterxml.jackson.core.util.JsonRecyclerPools.sharedConcurrentDequePool())
            .build();

    private Json() {
    }

    /** A parser over {@code body[0, len)}, positioned on the first token, which must open an object. */
    static JsonParser objectParser(byte[] body, int len) throws IOException {
        JsonParser p = FACTORY.createParser(body, 0, len);
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw TopicsException.invalid("the body must be a JSON object");
        }
        return p;
    }

    /** After the top-level object closed: anything but the end of input is an error. */
    static void expectEnd(JsonParser p) throws IOException {
        if (p.nextToken() != null) {
            throw TopicsException.invalid("unexpected content after the JSON object");
        }
    }

    static long u64(JsonParser p, String field) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
            throw TopicsException.invalid(field + " must be a non-negative integer");
        }
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            if (p.getBigIntegerValue().signum() < 0) {
                throw TopicsException.invalid(field + " must be a non-negative integer");
            }
            throw TopicsException.invalid(field + " is too large");
        }
        long v = p.getLongValue();
        if (v < 0) {
            throw TopicsException.invalid(field + " must be a non-negative integer");
        }
        return v;
    }

    /** Any integer, saturated to the int range (for clamped fields). */
    static int saturatedInt(JsonParser p, String field) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
            throw TopicsException.invalid(field + " must be an integer");
        }
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            return p.getBigIntegerValue().signum() < 0 ? Integer.MIN_VALUE : Integer.MAX_VALUE;
        }
        long v = p.getLongValue();
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
    }

    static boolean bool(JsonParser p, String field) {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_TRUE) {
            return true;
        }
        if (t == JsonToken.VALUE_FALSE) {
            return false;
        }
        throw TopicsException.invalid(field + " must be true or false");
    }

    static String string(JsonParser p, String field) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw TopicsException.invalid(field + " must be a string");
        }
        return p.getText();
    }

    /** A string, or null for JSON null. */
    static String stringOrNull(JsonParser p, String field) throws IOException {
        return p.currentToken() == JsonToken.VALUE_NULL ? null : string(p, field);
    }

    /** UTF-8 length of {@code s}. */
    static int utf8Length(String s) {
        int n = s.length();
        int len = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                len += c < 0x800 ? 1 : (Character.isSurrogate(c) ? 1 : 2);
            }
        }
        return len;
    }

    /**
     * Copies the value at the current token into {@code out} as compact, valid JSON and leaves
     * the parser on the value's last token. The common case is one array copy of the exact bytes
     * received; a value with insignificant whitespace is re-generated compactly.
     *
     * @return the number of top-level keys when the value is an object, else -1
     */
    static int copyValue(JsonParser p, byte[] body, JsonOut out) throws IOException {
        JsonToken t = p.currentToken();
        int start = (int) p.currentTokenLocation().getByteOffset();
        int keys = -1;
        if (t == JsonToken.START_OBJECT) {
            keys = 0;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                keys++;
                p.nextToken();
                p.skipChildren();
            }
        } else if (t == JsonToken.START_ARRAY) {
            p.skipChildren();
        } else {
            p.finishToken();
        }
        int end = (int) p.currentLocation().getByteOffset();
        int shape = scan(body, start, end);
        if ((shape & HIGH_BYTES) != 0) {
            requireUtf8(body, start, end);
        }
        if ((shape & WHITESPACE) == 0) {
            out.raw(body, start, end - start);
        } else {
            compact(body, start, end, out);
        }
        return keys;
    }

    private static final int WHITESPACE = 1;
    private static final int HIGH_BYTES = 2;

    /** One pass over a value's bytes: whitespace outside strings? bytes above 0x7f? */
    private static int scan(byte[] b, int from, int to) {
        int shape = 0;
        boolean inString = false;
        for (int i = from; i < to; i++) {
            byte c = b[i];
            if (c < 0) {
                shape |= HIGH_BYTES;
            } else if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                shape |= WHITESPACE;
            }
        }
        return shape;
    }

    private static void requireUtf8(byte[] b, int from, int to) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b, from, to - from));
        } catch (CharacterCodingException e) {
            throw TopicsException.invalid("the body is not valid UTF-8");
        }
    }

    /** Drops whitespace outside strings: for already-validated JSON that is exactly compaction. */
    private static void compact(byte[] b, int from, int to, JsonOut out) {
        boolean inString = false;
        for (int i = from; i < to; i++) {
            byte c = b[i];
            if (inString) {
                out.raw(c);
                if (c == '\\') {
                    out.raw(b[++i]);
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
                out.raw(c);
            } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                out.raw(c);
            }
        }
    }
}
