package io.topics.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.topics.api.storage.RealStorage;
import io.topics.api.storage.Storage;

class SegmentTest {
    private final Storage fs = RealStorage.INSTANCE;
    @TempDir
    Path dir;

    private static String data(long seq) {
        return "{\"n\":" + seq + ",\"pad\":\"" + "x".repeat((int) (seq % 97)) + "\"}";
    }

    /** Writes seqs first..last (skipping every seq divisible by skipEvery when > 0). */
    private SegmentInfo write(long first, long last, int skipEvery) throws IOException {
        try (SegmentWriter w = SegmentWriter.create(fs, dir, 7, first)) {
            for (long s = first; s <= last; s++) {
                if (skipEvery > 0 && s != first && s % skipEvery == 0) {
                    continue;
                }
                byte[] d = data(s).getBytes(StandardCharsets.UTF_8);
                byte[] m = s % 3 == 0 ? "{\"m\":1}".getBytes(StandardCharsets.UTF_8) : new byte[0];
                ByteBuffer src = ByteBuffer.allocateDirect(d.length + m.length + 5);
                src.put(5, d).put(5 + d.length, m);
                w.add(s, 1000 + s, src, 5, d.length, m.length, s % 5 == 0 ? "tag-" + s : null, s % 7 == 0 ? "ñode" : null);
            }
            return w.seal();
        }
    }

    private List<Long> seqsAfter(Segment s, long after) throws IOException {
        List<Long> out = new ArrayList<>();
        try (Segment.Cursor c = s.cursor(after)) {
            while (c.next()) {
                byte[] d = new byte[c.dataLength()];
                c.buffer().get(c.dataOffset(), d);
                assertEquals(data(c.seq()), new String(d, StandardCharsets.UTF_8));
                assertEquals(c.seq() % 3 == 0 ? 7 : 0, c.metaLength());
                assertEquals(1000 + c.seq(), c.ts());
                assertEquals(c.seq() % 5 == 0 ? "tag-" + c.seq() : null, c.tag());
                assertEquals(c.seq() % 7 == 0 ? "ñode" : null, c.node());
                out.add(c.seq());
            }
        }
        return out;
    }

    @Test
    void roundTripsEveryFieldAndSeeksThroughTheSparseIndex() throws IOException {
        SegmentInfo info = write(101, 5100, 0);
        assertEquals(new SegmentInfo(101, 5100, 5000, info.payloadBytes(), Files.size(dir.resolve(
                "00000000000000000101.seg"))), info);
        Segment s = Segment.of(fs, dir, info);
        s.verify();
        assertEquals(5000, seqsAfter(s, 0).size());
        assertEquals(List.of(5099L, 5100L), seqsAfter(s, 5098));
        assertEquals(4000, seqsAfter(s, 1100).size()); // many blocks in: the index finds the block
        assertTrue(seqsAfter(s, 5100).isEmpty());
        assertFalse(Files.exists(dir.resolve("00000000000000000101.seg.tmp")));
    }

    @Test
    void seqsMaySkipInsideASegment() throws IOException {
        Segment s = Segment.of(fs, dir, write(1, 100, 10));
        List<Long> all = seqsAfter(s, 0);
        assertEquals(90, all.size());
        assertEquals(List.of(11L, 12L), seqsAfter(s, 9).subList(0, 2));
    }

    @Test
    void refusesOutOfOrderSeqs() throws IOException {
        try (SegmentWriter w = SegmentWriter.create(fs, dir, 1, 5)) {
            ByteBuffer b = ByteBuffer.wrap("1".getBytes(StandardCharsets.UTF_8));
            assertThrows(IllegalArgumentException.class, () -> w.add(6, 0, b, 0, 1, 0, null, null));
            w.add(5, 0, b, 0, 1, 0, null, null);
            assertThrows(IllegalArgumentException.class, () -> w.add(5, 0, b, 0, 1, 0, null, null));
        }
        assertTrue(Segment.list(fs, dir).isEmpty(), "an unsealed writer leaves no file behind");
        assertTrue(fs.list(dir).isEmpty());
    }

    @Test
    void aFlippedByteInABlockIsAnErrorNotFewerRecords() throws IOException {
        SegmentInfo info = write(1, 3000, 0);
        flip(info, 40_000);
        Segment s = Segment.of(fs, dir, info);
        s.verify(); // header, footer and index are intact
        SegmentCorruptionException e = assertThrows(SegmentCorruptionException.class, () -> seqsAfter(s, 0));
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
    }

    @Test
    void damagedHeaderFooterOrIndexFailsVerify() throws IOException {
        SegmentInfo info = write(1, 2000, 0);
        long index = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("00000000000000000001.seg")))
                .order(ByteOrder.LITTLE_ENDIAN).getLong((int) info.fileBytes() - SegmentFormat.FOOTER_BYTES);
        for (long at : new long[] {3, info.fileBytes() - 10, index + 5}) {
            flip(info, at);
            assertThrows(SegmentCorruptionException.class, () -> Segment.of(fs, dir, info).verify(), "flip at " + at);
            flip(info, at);
            Segment.of(fs, dir, info).verify();
        }
    }

    @Test
    void anOlderFormatVersionIsRefusedByName() throws IOException {
        SegmentInfo info = write(1, 100, 0);
        Path f = dir.resolve("00000000000000000001.seg");
        byte[] sealed = Files.readAllBytes(f);
        for (short version : new short[] {1, 2}) { // 2 had no bloom and no sizes in its tag section
            ByteBuffer b = ByteBuffer.wrap(sealed.clone()).order(ByteOrder.LITTLE_ENDIAN);
            b.putShort(4, version).putInt(24, SegmentFormat.crc(b, 0, 24)); // a well-formed older header
            Files.write(f, b.array());
            SegmentCorruptionException e = assertThrows(SegmentCorruptionException.class,
                    () -> Segment.of(fs, dir, info).verify());
            assertTrue(e.getMessage().contains("segment format version " + version + ", this build reads only version 3"),
                    e.getMessage());
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        }
    }

    @Test
    void aShortMissingOrDifferentFileFailsVerify() throws IOException {
        SegmentInfo info = write(1, 100, 0);
        Path f = dir.resolve("00000000000000000001.seg");
        assertThrows(SegmentCorruptionException.class, () -> Segment.of(fs, dir,
                new SegmentInfo(1, 100, 99, info.payloadBytes(), info.fileBytes())).verify());
        try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(info.fileBytes() - 1);
        }
        assertThrows(SegmentCorruptionException.class, () -> Segment.of(fs, dir, info).verify());
        Files.delete(f);
        SegmentCorruptionException e = assertThrows(SegmentCorruptionException.class,
                () -> Segment.of(fs, dir, info).verify());
        assertTrue(e.getMessage().contains("missing"));
    }

    @Test
    void aRecordBiggerThanABlockGetsABlockOfItsOwn() throws IOException {
        byte[] big = ("\"" + "y".repeat(100_000) + "\"").getBytes(StandardCharsets.UTF_8);
        SegmentInfo info;
        try (SegmentWriter w = SegmentWriter.create(fs, dir, 1, 1)) {
            w.add(1, 1, ByteBuffer.wrap("1".getBytes(StandardCharsets.UTF_8)), 0, 1, 0, null, null);
            w.add(2, 2, ByteBuffer.wrap(big), 0, big.length, 0, null, null);
            w.add(3, 3, ByteBuffer.wrap("3".getBytes(StandardCharsets.UTF_8)), 0, 1, 0, null, null);
            info = w.seal();
        }
        try (Segment.Cursor c = Segment.of(fs, dir, info).cursor(1)) {
            assertTrue(c.next());
            assertEquals(2, c.seq());
            assertEquals(big.length, c.dataLength());
            assertNull(c.tag());
            assertTrue(c.next());
            assertEquals(3, c.seq());
            assertFalse(c.next());
        }
    }

    private void flip(SegmentInfo info, long at) throws IOException {
        Path f = dir.resolve(SegmentFormat.name(info.firstSeq(), SegmentFormat.SUFFIX));
        byte[] b = Files.readAllBytes(f);
        b[(int) at] ^= 0x10;
        Files.write(f, b);
    }
}
