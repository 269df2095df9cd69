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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
    // MurmurHash64A with the bloom's seed, from a separate (Python) implementation of the reference
    private static final long HASH_EMPTY = 0x84D69DCEF1E6733AL;
    private static final long HASH_USER = 0x9FBEBA3528137DD4L;
    private static final long HASH_LONG = 0xB294F49714871A87L;
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

    /** Data and meta bytes of the record at {@code seq}: they vary, so sizes are checked. */
    private static int payload(long seq) {
        return dataLength(seq) + metaLength(seq);
    }

    private static int dataLength(long seq) {
        return 1 + (int) (seq % 13);
    }

    private static int metaLength(long seq) {
        return seq % 3 == 0 ? 4 : 0;
    }

    private SegmentInfo write(long last, LongFunction<String> tags) throws IOException {
        return write(1, last, tags);
    }

    private SegmentInfo write(long first, long last, LongFunction<String> tags) throws IOException {
        ByteBuffer data = ByteBuffer.wrap("0123456789abcdefghij".getBytes(UTF_8));
        try (SegmentWriter w = SegmentWriter.create(fs, dir, 7, first)) {
            for (long s = first; s <= last; s++) {
                w.add(s, s, data, 0, dataLength(s), metaLength(s), tags.apply(s), null);
            }
            return w.seal();
        }
    }

    private Segment many() throws IOException {
        return Segment.of(fs, dir, write(LAST, SegmentTagTest::tagOf));
    }

    /** The seqs a lookup answers; each comes with its record's payload bytes, checked here. */
    private static List<Long> lookup(Segment s, String tag, boolean prefix, long belowSeq) throws IOException {
        List<Long> out = new ArrayList<>();
        s.forEachTagged(tag, prefix, belowSeq, (seq, size) -> {
            assertEquals(payload(seq), size, "payload bytes of seq " + seq);
            out.add(seq);
        });
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
    void aLookupReadsTheTagIndexOnceAndThenOnlyTheBlocksThatCanHoldItsTags() throws IOException {
        SegmentInfo info = write(LAST, SegmentTagTest::tagOf);
        assertTrue(footer(info).getInt(52) >= 10, "many tag blocks");
        Segment s = Segment.of(fs, dir, info);
        s.verify();
        long reads = fs.callCount(StorageOp.READ);
        assertLookup(s, "user-0001", false, Long.MAX_VALUE);
        assertTrue(fs.callCount(StorageOp.READ) - reads <= 3, "the tag index and bloom, then one or two blocks");
        for (String tag : List.of("user-0000", "user-0777", "user-1498", "ÿ", "big")) {
            reads = fs.callCount(StorageOp.READ);
            long opens = fs.callCount(StorageOp.OPEN);
            assertLookup(s, tag, false, Long.MAX_VALUE);
            assertEquals(1, fs.callCount(StorageOp.OPEN) - opens, tag);
            assertTrue(fs.callCount(StorageOp.READ) - reads <= (tag.equals("big") ? 5 : 2), tag + ": its blocks only");
        }
    }

    @Test
    void aTagTheSegmentCannotHoldIsAnsweredWithoutStorageCalls() throws IOException {
        Segment s = many();
        assertLookup(s, "user-0001", false, Long.MAX_VALUE); // reads the header, footer, index and tag summary
        long calls = fs.callCount();
        // below "big", the lowest tag, or above "😀/b", the highest: the kept range answers
        for (String out : List.of("", "a", "bi", "Big", "😁", "😀/c", "\uD83D\uDE00/bb")) {
            assertEquals(List.of(), lookup(s, out, false, Long.MAX_VALUE), out);
        }
        for (String out : List.of("a", "B", "😁", "😀/c", "😀/bb")) {
            assertEquals(List.of(), lookup(s, out, true, Long.MAX_VALUE), out);
        }
        assertEquals(calls, fs.callCount(), "no open and no read");
        // inside the range: the bloom answers all but about 1%
        int touched = 0;
        for (int n = 1499; n < 9999; n++) {
            String absent = String.format("user-%04d", n);
            long before = fs.callCount();
            assertEquals(List.of(), lookup(s, absent, false, Long.MAX_VALUE), absent);
            touched += fs.callCount() == before ? 0 : 1;
        }
        assertTrue(touched < 8500 * 2 / 100, touched + " of 8500 absent tags opened the file");
    }

    @Test
    void overManySegmentsALookupOpensOnlyThoseThatMayHoldTheTag() throws IOException {
        // 40 segments over one tag range, each tag in one segment: only the bloom tells them apart
        LongFunction<String> tags = q -> "user-" + q * 7919 % 40_000;
        List<Segment> segments = new ArrayList<>();
        for (long first = 1; first < 40_000; first += 1000) {
            segments.add(Segment.of(fs, dir, write(first, first + 999, tags)));
        }
        for (Segment s : segments) {
            lookup(s, "user-0", false, Long.MAX_VALUE); // keeps each segment's summary
        }
        long opens = fs.callCount(StorageOp.OPEN);
        long lookups = 0;
        for (long q = 1; q < 40_000; q += 97, lookups++) {
            List<Long> found = new ArrayList<>();
            for (Segment s : segments) {
                found.addAll(lookup(s, tags.apply(q), false, Long.MAX_VALUE));
            }
            assertEquals(List.of(q), found, tags.apply(q));
        }
        long falsePositives = fs.callCount(StorageOp.OPEN) - opens - lookups;
        assertTrue(falsePositives < lookups * 39 * 2 / 100, falsePositives + " segments opened in vain");
    }

    @Test
    void everyTagComesBackWithItsPayloadBytes() throws IOException {
        SegmentInfo info = write(LAST, SegmentTagTest::tagOf);
        Segment s = Segment.of(fs, dir, info);
        long[] sum = {0};
        Set<Integer> sizes = new HashSet<>();
        s.forEachTagged("", true, Long.MAX_VALUE, (seq, size) -> {
            assertEquals(payload(seq), size, "seq " + seq);
            sum[0] += size;
            sizes.add(size);
        });
        long untagged = LongStream.rangeClosed(1, LAST).filter(q -> tagOf(q) == null).map(SegmentTagTest::payload).sum();
        assertEquals(info.payloadBytes() - untagged, sum[0]);
        assertTrue(sizes.size() >= 13, "sizes vary: " + sizes);
    }

    @Test
    void everyOneOfTenThousandDistinctTagsIsFound() throws IOException {
        // a tag per record: the fullest bloom a default segment gets
        Segment s = Segment.of(fs, dir, write(10_000, q -> "t/" + q + "/" + "x".repeat((int) (q % 19))));
        for (long q = 1; q <= 10_000; q++) {
            assertEquals(List.of(q), lookup(s, "t/" + q + "/" + "x".repeat((int) (q % 19)), false, Long.MAX_VALUE));
        }
    }

    @Test
    void theBloomNeverForgetsATagAndPassesFewOthers() {
        int n = 100_000;
        LongFunction<byte[]> key = i -> ("tag-" + i + "-" + "é".repeat((int) (i % 11))).getBytes(UTF_8);
        long[] words = new long[TagBloom.words(n)];
        for (long i = 0; i < n; i++) {
            TagBloom.add(words, key.apply(i));
        }
        int passed = 0;
        for (long i = 0; i < n; i++) {
            assertTrue(TagBloom.mayContain(words, key.apply(i)), "tag " + i);
            passed += TagBloom.mayContain(words, key.apply(n + i)) ? 1 : 0;
        }
        assertTrue(passed < n * 15 / 1000, passed + " false positives of " + n);
    }

    @Test
    void theBloomHashIsMurmurHash64A() {
        // reference values from an independent implementation: the hash is part of the format
        assertEquals(HASH_EMPTY, TagBloom.hash(new byte[0]));
        assertEquals(HASH_USER, TagBloom.hash("user-0001".getBytes(UTF_8)));
        assertEquals(HASH_LONG, TagBloom.hash("日本/東京 and a longer tag".getBytes(UTF_8)));
    }

    @Test
    void aDamagedBloomFailsEveryLookupNotJustVerify() throws IOException {
        SegmentInfo info = write(LAST, SegmentTagTest::tagOf);
        long bloom = footer(info).getLong(60);
        for (long at : new long[] {bloom, bloom + 7, info.fileBytes() - SegmentFormat.FOOTER_BYTES - 1}) {
            flip(info, at);
            Segment s = Segment.of(fs, dir, info);
            s.verify(); // recovery's check leaves the bloom to the first lookup
            for (int round = 0; round < 2; round++) { // a failed load is not kept
                for (var lookup : List.<Executable>of(() -> lookup(s, "user-0001", false, Long.MAX_VALUE),
                        () -> lookup(s, "absent", false, Long.MAX_VALUE), () -> lookup(s, "user-", true, Long.MAX_VALUE))) {
                    SegmentCorruptionException e = assertThrows(SegmentCorruptionException.class, lookup, "at " + at);
                    assertTrue(e.getMessage().contains("tag bloom checksum mismatch"), e.getMessage());
                    assertTrue(e.getMessage().contains(s.file().toString()), e.getMessage());
                }
            }
            flip(info, at);
            assertLookup(Segment.of(fs, dir, info), "user-0001", false, Long.MAX_VALUE);
        }
        int footerAt = (int) (info.fileBytes() - SegmentFormat.FOOTER_BYTES);
        flip(info, footerAt + 61); // the bloom offset: the footer's checksum catches it
        assertThrows(SegmentCorruptionException.class, () -> Segment.of(fs, dir, info).verify());
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
        // in the first entry, and in the last tag, which ends at the bloom
        for (long at : new long[] {tagIndex + 3, footer(info).getLong(60) - 1}) {
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

    /** The footer: index offset at 0, blocks at 8, tag index offset at 44, tag blocks at 52, bloom offset at 60. */
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
