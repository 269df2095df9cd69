package io.topics.server.watch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;

/**
 * The composite cursor of a watch stream (spec §11.4): base64url, without padding, of the
 * compact JSON map {@code {topic: last delivered seq}} of the whole session, keys sorted.
 */
public final class WatchCursor {
    private static final JsonFactory JSON = new JsonFactory();
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    /** An id longer than this cannot be one of ours (256 topics of at most 255 bytes, and their seqs). */
    private static final int MAX_ID_CHARS = 128 * 1024;

    private WatchCursor() {
    }

    /** The {@code id:} of a frame for these cursors. */
    public static String encode(SortedMap<String, Long> cursors) {
        StringBuilder json = new StringBuilder(16 + cursors.size() * 24).append('{');
        for (Map.Entry<String, Long> e : cursors.entrySet()) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append('"').append(JsonStringEncoder.getInstance().quoteAsString(e.getKey())).append("\":")
                    .append(e.getValue());
        }
        return ENCODER.encodeToString(json.append('}').toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The cursors an id names; empty for a malformed id, which the spec says to ignore, never
     * an error. Entries that are not a topic name mapped to a non-negative integer are dropped.
     */
    public static SortedMap<String, Long> decode(String id) {
        SortedMap<String, Long> cursors = new TreeMap<>();
        if (id == null || id.isEmpty() || id.length() > MAX_ID_CHARS) {
            return cursors;
        }
        byte[] json;
        try {
            json = Base64.getUrlDecoder().decode(id);
        } catch (IllegalArgumentException e) {
            return cursors;
        }
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return new TreeMap<>();
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String topic = p.currentName();
                JsonToken v = p.nextToken();
                if (v == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
                        && p.getLongValue() >= 0) {
                    cursors.put(topic, p.getLongValue());
                } else if (v.isStructStart()) {
                    p.skipChildren();
                }
            }
            return t == JsonToken.END_OBJECT && p.nextToken() == null ? cursors : new TreeMap<>();
        } catch (IOException e) {
            return new TreeMap<>();
        }
    }
}
