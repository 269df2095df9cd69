package io.topics.segments;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongFunction;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import io.topics.api.storage.RealStorage;
import io.topics.testkit.storage.FaultInjector;
import io.topics.testkit.storage.StorageOp;

class SegmentTagTest {
    private static final long LAST = 30_000;
    // U+FF21 sorts after U+1F600 in UTF-16 but before it in UTF-8: the byte order is the one that counts
    private static final String[] NON_ASCII = {"ñandú", "日本/東京", "日本/大阪", "Ａ全角", "😀/a", "😀/b", "ÿ"};
    private final FaultInjector fs = new FaultInjector(RealStorage.INSTANCE); // counts reads
    @TempDir
    Path dir;

    /** Untagged records, one tag over several tag blocks, non-ASCII tags and 1 499 "user-" tags. */
    private static String tagOf(long seq) {
        if (seq % 4 == 0) {
            return null;
        }
        if (seq > 20_000 && seq <= 25_000) {
            return "big";
        }
        if (seq % 11 == 0) {
            return NON_ASCII[(int) (seq % NON_ASCII.length)];
        }
        return String.format("user-%04d", seq * 7919 % 1499);
    }

    private SegmentInfo write(long last, LongFunction<String> tags) throws IOException {
        ByteBuffer data = ByteBuffer.wrap("{}".getBytes(UTF_8));
        try (SegmentWriter w = SegmentWriter.create(fs, dir, 7, 1)) {
            for (long s = 1; s <= last; s++) {
                w.add(s, s, data, 0, 2, 0, tags.apply(s), null);
            }
            return w.seal();
        }
    }

    private Segment many() throws IOException {
        return Segment.of(fs, dir, write(LAST, SegmentTagTest::tagOf));
    }

    private static List<Long> lookup(Segment s, String tag, boolean prefix, long belowSeq) throws IOException {
        List<Long> out = new ArrayList<>();
        s.forEachTagged(tag, prefix, belowSeq, out::add);
        return out;
    }

    /** The documented answer, from {@link #tagOf}: tags in UTF-8 byte order, each tag's seqs ascending. */
    private static List<Long> expected(String tag, boolean prefix, long belowSeq) {
        return LongStream.rangeClosed(1, LAST).boxed()
                .filter(s -> s < belowSeq && tagOf(s) != null
                        && (prefix ? tagOf(s).startsWith(tag) : tagOf(s).equals(tag)))
                .sorted(Comparator.comparing((Long s) -> tagOf(s).getBytes(UTF_8), Arrays::compareUnsigned)
                        .thenComparing(s -> s))
                .toList();
    }

    private void assertLookup(Segment s, String tag, boolean prefix, long belowSeq) throws IOException {
        assertEquals(expected(tag, prefix, belowSeq), lookup(s, tag, prefix, belowSeq),
                (prefix ? "prefix " : "tag ") + tag + " below " + belowSeq);
    }

    @Test
    void exactTagsAnswerExactlyTheirSeqs() throws IOException {
        Segment s = many();
        for (String tag : List.of("user-0000", "user-0777", "user-1498", "big")) {
            assertTrue(lookup(s, tag, false, Long.MAX_VALUE).size() > 1, tag);
            assertLookup(s, tag, false, Long.MAX_VALUE);
        }
        for (String tag : NON_ASCII) {
            assertLookup(s, tag, false, Long.MAX_VALUE);
        }
        for (String absent : List.of("user-1499", "user-07", "bi", "bigger", "", "a", "zzz", "日本")) {
            assertEquals(List.of(), lookup(s, absent, false, Long.MAX_VALUE), absent);
        }
    }

    @Test
    void prefixesAnswerEveryTagStartingWithThem() throws IOException {
        Segment s = many();
        s.verify();
        long reads = fs.callCount(StorageOp.READ);
        assertLookup(s, "user-0", true, Long.MAX_VALUE);
        assertTrue(fs.callCount(StorageOp.READ) - reads >= 4, "the tag index and several tag blocks");
        for (int d = 0; d <= 14; d++) { // 100 tags each, so some straddle tag blocks
            assertLookup(s, String.format("user-%02d", d), true, Long.MAX_VALUE);
        }
        for (String p : List.of("user-", "u", "b", "big", "日本/", "日", "😀", "😀/", "Ａ", "ñ", "ÿ")) {
            assertFalse(expected(p, true, Long.MAX_VALUE).isEmpty(), p);
            assertLookup(s, p, true, Long.MAX_VALUE);
        }
        for (String none : List.of("user-2", "user-0000x", "a", "c", "zzz", "日本/京都", "\uFFFF")) {
            assertEquals(List.of(), lookup(s, none, true, Long.MAX_VALUE), none);
        }
    }

    @Test
    void theEmptyPrefixAnswersEveryTaggedRecordAndNoOther() throws IOException {
        Segment s = many();
        List<Long> all = lookup(s, "", true, Long.MAX_VALUE);
        assertEquals(expected("", true, Long.MAX_VALUE), all);
        assertEquals(LAST - LAST / 4, all.size());
        assertTrue(all.stream().noneMatch(seq -> seq % 4 == 0));
        // byte order, not String order: the fullwidth A comes before the emoji
        assertTrue(all.indexOf(lookup(s, "Ａ全角", false, Long.MAX_VALUE).getLast())
                < all.indexOf(lookup(s, "😀/a", false, Long.MAX_VALUE).getFirst()));
    }

    @Test
    void aTagBiggerThanATagBlockContinuesInTheNext() throws IOException {
        Segment s = many();
        s.verify();
        long reads = fs.callCount(StorageOp.READ);
        List<Long> big = lookup(s, "big", false, Long.MAX_VALUE);
        assertTrue(fs.callCount(StorageOp.READ) - reads >= 3, "the tag index and at least two tag blocks");
        assertEquals(3750, big.size());
        assertEquals(expected("big", false, Long.MAX_VALUE), big);
    }

    @Test
    void belowSeqBoundsTheAnswer() throws IOException {
        Segment s = many();
        for (long below : new long[] {Long.MIN_VALUE, 1, 2, 100, 20_001, 22_222, 25_001, LAST, LAST + 1}) {
            assertLookup(s, "big", false, below);
            assertLookup(s, "user-0", true, below);
            assertLookup(s, "", true, below);
        }
        assertEquals(List.of(20_001L, 20_002L, 20_003L), lookup(s, "big", false, 20_005));
    }

    @Test
    void aLookupReadsTheTagIndexAndOnlyTheBlocksThatCanHoldItsTags() throws IOException {
        SegmentInfo info = write(LAST, SegmentTagTest::tagOf);
        assertTrue(footer(info).getInt(52) >= 10, "many tag blocks");
        Segment s = Segment.of(fs, dir, info);
        s.verify();
        for (String tag : List.of("user-0000", "user-0777", "user-1498", "ÿ", "absent")) {
            long reads = fs.callCount(StorageOp.READ);
            assertLookup(s, tag, false, Long.MAX_VALUE);
            assertTrue(fs.callCount(StorageOp.READ) - reads <= 3, tag + ": the tag index and one or two blocks");
        }
    }

    @Test
    void aSegmentWithoutTagsAnswersWithoutReadingIt() throws IOException {
        SegmentInfo info = write(5000, s -> null);
        ByteBuffer footer = footer(info);
        assertEquals(0, footer.getInt(52));
        assertEquals(info.fileBytes() - SegmentFormat.FOOTER_BYTES, footer.getLong(44));
        Segment s = Segment.of(fs, dir, info);
        s.verify(); // reads the header, footer and index once, as any read does
        long calls = fs.callCount();
        assertEquals(List.of(), lookup(s, "", true, Long.MAX_VALUE));
        assertEquals(List.of(), lookup(s, "a", false, Long.MAX_VALUE));
        s.verify();
        assertEquals(calls, fs.callCount(), "no open, no read: the footer said there are no tags");
    }

    @Test
    void aDamagedTagBlockFailsTheLookupsThatReadIt() throws IOException {
        SegmentInfo info = write(LAST, SegmentTagTest::tagOf);
        ByteBuffer footer = footer(info);
        long tagBlocks = footer.getLong(0) + (long) footer.getInt(8) * SegmentFormat.INDEX_ENTRY_BYTES;
        flip(info, tagBlocks + 100); // in block 0, among the seqs of "big", the lowest tag
        Segment s = Segment.of(fs, dir, info);
        s.verify(); // recovery's check reads no blocks: a block is checked when it is read
        for (var lookup : List.<Executable>of(
                () -> lookup(s, "big", false, Long.MAX_VALUE), () -> lookup(s, "b", true, Long.MAX_VALUE),
                () -> lookup(s, "", true, Long.MAX_VALUE))) {
            SegmentCorruptionException e = assertThrows(SegmentCorruptionException.class, lookup);
            assertTrue(e.getMessage().contains("tag block 0 checksum mismatch"), e.getMessage());
            assertTrue(e.getMessage().contains(s.file().toString()), e.getMessage());
        }
        assertLookup(s, "user-1498", false, Long.MAX_VALUE); // its blocks are whole
        flip(info, tagBlocks + 100);

        flip(info, footer.getLong(44) - 3); // the end of the last tag block
        Segment last = Segment.of(fs, dir, info);
        SegmentCorruptionException e = assertThrows(SegmentCorruptionException.class,
                () -> lookup(last, "", true, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("tag block " + (footer.getInt(52) - 1) + " checksum mismatch"),
                e.getMessage());
    }

    @Test
    void aDamagedTagIndexFailsEveryLookupAndVerify() throws IOException {
        SegmentInfo info = write(LAST, SegmentTagTest::tagOf);
        long tagIndex = footer(info).getLong(44);
        for (long at : new long[] {tagIndex + 3, info.fileBytes() - SegmentFormat.FOOTER_BYTES - 1}) {
            flip(info, at);
            Segment s = Segment.of(fs, dir, info);
            for (var lookup : List.<Executable>of(s::verify,
                    () -> lookup(s, "user-0001", false, Long.MAX_VALUE), () -> lookup(s, "zzz", true, 1))) {
                SegmentCorruptionException e = assertThrows(SegmentCorruptionException.class, lookup, "flip at " + at);
                assertTrue(e.getMessage().contains("tag index checksum mismatch"), e.getMessage());
            }
            flip(info, at);
            Segment.of(fs, dir, info).verify();
        }
    }

    private Path file(SegmentInfo info) {
        return dir.resolve(SegmentFormat.name(info.firstSeq(), SegmentFormat.SUFFIX));
    }

    /** The footer: index offset at 0, blocks at 8, tag index offset at 44, tag blocks at 52. */
    private ByteBuffer footer(SegmentInfo info) throws IOException {
        byte[] b = Files.readAllBytes(file(info));
        return ByteBuffer.wrap(b, b.length - SegmentFormat.FOOTER_BYTES, SegmentFormat.FOOTER_BYTES).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    private void flip(SegmentInfo info, long at) throws IOException {
        byte[] b = Files.readAllBytes(file(info));
        b[(int) at] ^= 0x10;
        Files.write(file(info), b);
    }
}
