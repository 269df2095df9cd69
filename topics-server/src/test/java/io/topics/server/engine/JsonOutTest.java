package io.topics.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class JsonOutTest {
    @Test
    void numbersMatchLongToString() {
        long[] values = {0, 1, 9, 10, 99, 100, 999_999, 1_000_000, 1_700_000_000_000L, 999_999_999_999_999_999L,
            1_000_000_000_000_000_000L, Long.MAX_VALUE, -1, -10, Long.MIN_VALUE + 1, Long.MIN_VALUE};
        for (long v : values) {
            assertEquals(Long.toString(v), new JsonOut(1).number(v).toString());
        }
        for (long p = 1; p > 0 && p < Long.MAX_VALUE / 10; p *= 10) {
            assertEquals(Long.toString(p - 1), new JsonOut().number(p - 1).toString());
            assertEquals(Long.toString(p), new JsonOut().number(p).toString());
        }
    }

    @Test
    void stringsAreEscapedAndUtf8Encoded() {
        assertEquals("\"plain\"", new JsonOut().string("plain").toString());
        assertEquals("\"q\\\"b\\\\n\\n\\t\\u0001\"", new JsonOut().string("q\"b\\n\n\t\u0001").toString());
        assertEquals("\"é中😀\"", new JsonOut().string("é中😀").toString());
        assertEquals("null", new JsonOut().string(null).toString());
    }

    @Test
    void millisHaveThreeDecimals() {
        assertEquals("0.000", new JsonOut().millis(0).toString());
        assertEquals("1.235", new JsonOut().millis(1.2345).toString());
        assertEquals("12.050", new JsonOut().millis(12.05).toString());
    }
}
