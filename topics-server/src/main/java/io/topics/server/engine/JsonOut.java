package io.topics.server.engine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte buffer with just enough JSON writing to assemble responses from stored
 * payload bytes without building trees. The caller is responsible for commas and nesting;
 * every method returns {@code this} for chaining. Not thread-safe.
 */
public final class JsonOut {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MIN_LONG = Long.toString(Long.MIN_VALUE).getBytes(StandardCharsets.US_ASCII);

    private byte[] buf;
    private int size;

    public JsonOut() {
        this(256);
    }

    public JsonOut(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    public int size() {
        return size;
    }

    /** The backing array; only the first {@link #size()} bytes are meaningful. */
    public byte[] array() {
        return buf;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    /** Writes what this holds to {@code out}, without a copy. */
    public void writeTo(java.io.OutputStream out) throws java.io.IOException {
        out.write(buf, 0, size);
    }

    public void reset() {
        size = 0;
    }

    /** Drops everything written after {@code mark}, a value earlier returned by {@link #size()}. */
    public void truncate(int mark) {
        size = mark;
    }

    public JsonOut raw(byte b) {
        ensure(1);
        buf[size++] = b;
        return this;
    }

    public JsonOut raw(byte[] b) {
        return raw(b, 0, b.length);
    }

    public JsonOut raw(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, size, len);
        size += len;
        return this;
    }

    /** Copies {@code len} bytes at absolute {@code index} of {@code src}, leaving its position alone. */
    public JsonOut raw(ByteBuffer src, int index, int len) {
        ensure(len);
        src.get(index, buf, size, len);
        size += len;
        return this;
    }

    /** Appends a copy of {@code len} bytes this buffer already holds at {@code from}. */
    public JsonOut again(int from, int len) {
        ensure(len);
        System.arraycopy(buf, from, buf, size, len);
        size += len;
        return this;
    }

    /** Writes ASCII text that needs no escaping (keys, punctuation, literals). */
    public JsonOut ascii(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf[size++] = (byte) s.charAt(i);
        }
        return this;
    }

    /** Writes {@code "name":}. The name must be plain ASCII. */
    public JsonOut key(String name) {
        ensure(name.length() + 3);
        buf[size++] = '"';
        ascii(name);
        buf[size++] = '"';
        buf[size++] = ':';
        return this;
    }

    public JsonOut number(long v) {
        if (v == Long.MIN_VALUE) {
            return raw(MIN_LONG);
        }
        ensure(20);
        if (v < 0) {
            buf[size++] = '-';
            v = -v;
        }
        int digits = digits(v);
        int pos = size + digits;
        size = pos;
        do {
            buf[--pos] = (byte) ('0' + (v % 10));
            v /= 10;
        } while (v != 0);
        return this;
    }

    /** A non-negative float with three decimals, for timings. */
    public JsonOut millis(double ms) {
        long micros = Math.round(Math.max(0, ms) * 1000);
        number(micros / 1000);
        raw((byte) '.');
        long frac = micros % 1000;
        raw((byte) ('0' + frac / 100)).raw((byte) ('0' + frac / 10 % 10)).raw((byte) ('0' + frac % 10));
        return this;
    }

    public JsonOut bool(boolean v) {
        return ascii(v ? "true" : "false");
    }

    public JsonOut nul() {
        return ascii("null");
    }

    /** A JSON string literal, escaped; {@code null} writes {@code null}. */
    public JsonOut string(String s) {
        if (s == null) {
            return nul();
        }
        int n = s.length();
        ensure(n + 2);
        buf[size++] = '"';
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
                ensure(1);
                buf[size++] = (byte) c;
            } else {
                escaped(s, i);
                return this;
            }
        }
        raw((byte) '"');
        return this;
    }

    /** Slow path of {@link #string}: from index {@code from} on, escape and encode UTF-8. */
    private void escaped(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                raw((byte) '\\').raw((byte) c);
            } else if (c < 0x20) {
                switch (c) {
                    case '\n' -> ascii("\\n");
                    case '\r' -> ascii("\\r");
                    case '\t' -> ascii("\\t");
                    case '\b' -> ascii("\\b");
                    case '\f' -> ascii("\\f");
                    default -> ascii("\\u00").raw(HEX[c >> 4]).raw(HEX[c & 0xf]);
                }
            } else if (c < 0x80) {
                raw((byte) c);
            } else {
                int end = i + 1;
                if (Character.isHighSurrogate(c) && end < s.length() && Character.isLowSurrogate(s.charAt(end))) {
                    end++;
                }
                raw(s.substring(i, end).getBytes(StandardCharsets.UTF_8));
                i = end - 1;
            }
        }
        raw((byte) '"');
    }

    private static final long[] POWERS_OF_TEN = new long[19];

    static {
        long p = 1;
        for (int i = 0; i < POWERS_OF_TEN.length; i++) {
            POWERS_OF_TEN[i] = p;
            p *= 10;
        }
    }

    /** Decimal digits of a non-negative long, without dividing. */
    private static int digits(long v) {
        int d = 1;
        while (d < 19 && v >= POWERS_OF_TEN[d]) {
            d++;
        }
        return d;
    }

    private void ensure(int extra) {
        if (size + extra > buf.length) {
            long want = Math.max((long) buf.length * 2, (long) size + extra);
            if (want > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("response buffer over 2 GiB");
            }
            buf = Arrays.copyOf(buf, (int) want);
        }
    }

    @Override
    public String toString() {
        return new String(buf, 0, size, StandardCharsets.UTF_8);
    }
}
