package io.topics.segments;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The Bloom filter over a segment's distinct tags (docs/STORAGE.md): {@link #BITS_PER_TAG} bits
 * per tag in 64-bit words, {@link #HASHES} bit positions per tag from one 64-bit hash of its UTF-8
 * bytes ({@code lo + i * hi} mod the bit count, lo and hi its 32-bit halves). About 1% of absent
 * tags pass; a present tag always does. The hash is part of the file format: never change it.
 */
final class TagBloom {
    static final int BITS_PER_TAG = 10;
    static final int HASHES = 7; // optimal for 10 bits: ln 2 * 10
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long M = 0xc6a4a7935bd1e995L;
    private static final long SEED = 0x9E3779B97F4A7C15L;

    private TagBloom() {
    }

    /** The words a filter over {@code tags} distinct tags takes. */
    static int words(long tags) {
        return (int) Math.max(1, (tags * BITS_PER_TAG + 63) / 64);
    }

    static void add(long[] words, byte[] tag) {
        long h = hash(tag);
        long bits = words.length * 64L;
        for (int i = 0; i < HASHES; i++) {
            long bit = ((h & 0xFFFF_FFFFL) + i * (h >>> 32)) % bits;
            words[(int) (bit >>> 6)] |= 1L << bit;
        }
    }

    /** False only when {@code tag} was never added. */
    static boolean mayContain(long[] words, byte[] tag) {
        long h = hash(tag);
        long bits = words.length * 64L;
        for (int i = 0; i < HASHES; i++) {
            long bit = ((h & 0xFFFF_FFFFL) + i * (h >>> 32)) % bits;
            if ((words[(int) (bit >>> 6)] & 1L << bit) == 0) {
                return false;
            }
        }
        return true;
    }

    /** MurmurHash64A of {@code b} with {@link #SEED}. */
    static long hash(byte[] b) {
        long h = SEED ^ (b.length * M);
        int whole = b.length & ~7;
        for (int i = 0; i < whole; i += 8) {
            long k = (long) LONG_LE.get(b, i) * M;
            h = (h ^ (k ^ k >>> 47) * M) * M;
        }
        if (whole < b.length) {
            long k = 0;
            for (int i = b.length - 1; i >= whole; i--) {
                k = k << 8 | (b[i] & 0xFF);
            }
            h = (h ^ k) * M;
        }
        h = (h ^ h >>> 47) * M;
        return h ^ h >>> 47;
    }
}
