package io.topics.server.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The seqs of one topic deleted one by one (by tag), as a bitmap in pages of 64Ki seqs: a page
 * exists only while it holds a deleted seq at or above the topic's floor, so memory follows the
 * deletes still in the retained range, at most one bit per retained seq.
 *
 * <p>One writer (under the topic lock) sets bits; readers never lock. The page table and its
 * base are one immutable {@link View}, replaced through a volatile field: a reader takes a view
 * once and keeps it for its whole read, so pages dropped meanwhile are still there for it.
 * Pages themselves only ever gain bits.
 */
final class DeleteSet {
    private static final int PAGE_SHIFT = 16;
    private static final int PAGE_WORDS = (1 << PAGE_SHIFT) / 64;

    /** Page {@code base + i} is {@code pages[i]}, null when it holds no deleted seq. */
    record View(long base, long[][] pages) {
        static final View EMPTY = new View(0, new long[0][]);

        boolean contains(long seq) {
            long p = (seq >>> PAGE_SHIFT) - base;
            if (p < 0 || p >= pages.length) {
                return false;
            }
            long[] words = pages[(int) p];
            int bit = (int) (seq & ((1 << PAGE_SHIFT) - 1));
            return words != null && (words[bit >>> 6] & (1L << bit)) != 0;
        }

        boolean isEmpty() {
            return pages.length == 0;
        }

        /** Whether any seq in {@code [from, to]} is deleted. */
        boolean anyIn(long from, long to) {
            for (int i = 0; i < pages.length; i++) {
                long first = (base + i) << PAGE_SHIFT;
                long last = first + (1 << PAGE_SHIFT) - 1;
                if (pages[i] == null || last < from || first > to) {
                    continue;
                }
                for (long s = Math.max(from, first); s <= Math.min(to, last); s++) {
                    if ((s & 63) == 0 && Math.min(to, last) - s >= 63) {
                        if (pages[i][(int) ((s - first) >>> 6)] != 0) {
                            return true;
                        }
                        s += 63; // a whole word at once
                    } else if (contains(s)) {
                        return true;
                    }
                }
            }
            return false;
        }

        /** Whether every seq in {@code [from, to]} is deleted. */
        boolean containsAll(long from, long to) {
            long s = from;
            while (s <= to) {
                if ((s & 63) == 0 && to - s >= 63) {
                    long p = (s >>> PAGE_SHIFT) - base;
                    long[] words = p < 0 || p >= pages.length ? null : pages[(int) p];
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
    }

    private volatile View view = View.EMPTY;

    /** The deletes as of now, for one reader to keep. */
    View view() {
        return view;
    }

    boolean contains(long seq) {
        return view.contains(seq);
    }

    boolean isEmpty() {
        return view.isEmpty();
    }

    /** Marks {@code seq} deleted. Writer only. */
    void add(long seq) {
        View v = view;
        long page = seq >>> PAGE_SHIFT;
        long base = v.base;
        long[][] ps = v.pages;
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
        long[] words = ps[i];
        if (words == null) {
            words = new long[PAGE_WORDS];
        }
        int bit = (int) (seq & ((1 << PAGE_SHIFT) - 1));
        words[bit >>> 6] |= 1L << bit;
        if (ps == v.pages && words == ps[i]) {
            view = v; // same table: the volatile write still publishes the new bit
            return;
        }
        if (ps == v.pages) {
            ps = ps.clone(); // a reader's view never changes shape under it
        }
        ps[i] = words;
        view = new View(base, ps);
    }

    /** Whether every seq in {@code [from, to]} is deleted. */
    boolean containsAll(long from, long to) {
        return view.containsAll(from, to);
    }

    /** Forgets pages wholly below {@code seq}: no reader goes there any more. Writer only. */
    void dropBelow(long seq) {
        View v = view;
        long keepFrom = (seq >>> PAGE_SHIFT) - v.base;
        if (keepFrom <= 0 || v.pages.length == 0) {
            return;
        }
        int first = (int) Math.min(keepFrom, v.pages.length);
        while (first < v.pages.length && v.pages[first] == null) {
            first++;
        }
        view = first == v.pages.length ? View.EMPTY
                : new View(v.base + first, Arrays.copyOfRange(v.pages, first, v.pages.length));
    }

    /** {@code pages:u32 { page:i64 words:i64[1024] }*} in a buffer of its own, little-endian, ready to read. */
    ByteBuffer encoded() {
        View v = view;
        int n = 0;
        for (long[] p : v.pages) {
            n += p == null ? 0 : 1;
        }
        ByteBuffer out = ByteBuffer.allocate(4 + n * (8 + PAGE_WORDS * 8)).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(n);
        for (int i = 0; i < v.pages.length; i++) {
            if (v.pages[i] != null) {
                out.putLong(v.base + i);
                for (long w : v.pages[i]) {
                    out.putLong(w);
                }
            }
        }
        return out.flip();
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
