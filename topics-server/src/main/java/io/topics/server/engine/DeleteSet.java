package io.topics.server.engine;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The seqs of one topic deleted one by one (by tag), as a bitmap in pages of 64Ki seqs: a page
 * exists only while it holds a deleted seq at or above the topic's floor, so memory follows the
 * deletes still in the retained range, at most one bit per retained seq.
 *
 * <p>One writer (under the topic lock) sets bits; readers test them without locking. Every
 * {@link #add} ends with a volatile write of the page table, which every test reads first, so a
 * reader that starts after a delete returned sees all of its bits.
 */
final class DeleteSet {
    private static final int PAGE_SHIFT = 16;
    private static final int PAGE_WORDS = (1 << PAGE_SHIFT) / 64;
    private static final long[][] NONE = new long[0][];

    /** Page {@code base + i} is {@code pages[i]}, null when it holds no deleted seq. */
    private volatile long[][] pages = NONE;
    private long base; // written before pages, read after it

    boolean contains(long seq) {
        long[][] ps = pages;
        long p = (seq >>> PAGE_SHIFT) - base;
        if (p < 0 || p >= ps.length) {
            return false;
        }
        long[] words = ps[(int) p];
        int bit = (int) (seq & ((1 << PAGE_SHIFT) - 1));
        return words != null && (words[bit >>> 6] & (1L << bit)) != 0;
    }

    boolean isEmpty() {
        return pages.length == 0;
    }

    /** Marks {@code seq} deleted. Writer only. */
    void add(long seq) {
        long page = seq >>> PAGE_SHIFT;
        long[][] ps = pages;
        if (ps.length == 0) {
            base = page;
            ps = new long[1][];
        } else if (page < base) {
            long[][] grown = new long[(int) (ps.length + base - page)][];
            System.arraycopy(ps, 0, grown, (int) (base - page), ps.length);
            ps = grown;
            base = page;
        } else if (page - base >= ps.length) {
            ps = Arrays.copyOf(ps, (int) (page - base + 1));
        }
        int i = (int) (page - base);
        if (ps[i] == null) {
            ps[i] = new long[PAGE_WORDS];
        }
        int bit = (int) (seq & ((1 << PAGE_SHIFT) - 1));
        ps[i][bit >>> 6] |= 1L << bit;
        pages = ps;
    }

    /** Whether every seq in {@code [from, to]} is deleted. */
    boolean containsAll(long from, long to) {
        long s = from;
        while (s <= to) {
            if ((s & 63) == 0 && to - s >= 63) {
                long[][] ps = pages;
                long p = (s >>> PAGE_SHIFT) - base;
                long[] words = p < 0 || p >= ps.length ? null : ps[(int) p];
                if (words == null || words[(int) ((s & ((1 << PAGE_SHIFT) - 1)) >>> 6)] != -1L) {
                    return false;
                }
                s += 64; // a whole word at once
            } else if (!contains(s++)) {
                return false;
            }
        }
        return true;
    }

    /** Forgets pages wholly below {@code seq}: nothing there is retained any more. Writer only. */
    void dropBelow(long seq) {
        long[][] ps = pages;
        long keepFrom = (seq >>> PAGE_SHIFT) - base;
        if (keepFrom <= 0 || ps.length == 0) {
            return;
        }
        if (keepFrom >= ps.length) {
            pages = NONE;
            return;
        }
        int first = (int) keepFrom;
        while (first < ps.length && ps[first] == null) {
            first++;
        }
        long[][] kept = Arrays.copyOfRange(ps, first, ps.length);
        base += first;
        pages = kept.length == 0 ? NONE : kept;
    }

    /** Encoded size of {@link #encode}. */
    int encodedSize() {
        int n = 4;
        for (long[] p : pages) {
            if (p != null) {
                n += 8 + PAGE_WORDS * 8;
            }
        }
        return n;
    }

    /** {@code pages:u32 { page:i64 words:i64[1024] }*}, into {@code out}. */
    void encode(ByteBuffer out) {
        long[][] ps = pages;
        int n = 0;
        for (long[] p : ps) {
            n += p == null ? 0 : 1;
        }
        out.putInt(n);
        for (int i = 0; i < ps.length; i++) {
            if (ps[i] != null) {
                out.putLong(base + i);
                for (long w : ps[i]) {
                    out.putLong(w);
                }
            }
        }
    }

    /** {@link #encode} into a buffer of its own, little-endian, ready to read. */
    ByteBuffer encoded() {
        ByteBuffer b = ByteBuffer.allocate(encodedSize()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        encode(b);
        return b.flip();
    }

    static DeleteSet decode(ByteBuffer in) {
        DeleteSet d = new DeleteSet();
        int n = in.getInt();
        for (int i = 0; i < n; i++) {
            long page = in.getLong();
            if (page < 0 || page > (Long.MAX_VALUE >>> PAGE_SHIFT)) {
                throw new IllegalArgumentException("delete page " + page + " out of range");
            }
            for (int w = 0; w < PAGE_WORDS; w++) {
                long word = in.getLong();
                while (word != 0) {
                    int bit = Long.numberOfTrailingZeros(word);
                    d.add((page << PAGE_SHIFT) + w * 64L + bit);
                    word &= word - 1;
                }
            }
        }
        return d;
    }
}
