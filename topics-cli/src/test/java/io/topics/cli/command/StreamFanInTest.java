package io.topics.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The benchmark's byte scan finds every marker exactly once, however the reads cut the stream. */
class StreamFanInTest {
    static final String STREAM = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nretry: 2000\n\n\r\n"
            + "id: eyJ3IjowfQ\nevent: caught-up\ndata: {\"topic\":\"w\",\"head_seq\":0}\n\n"
            + "id: eyJ3IjoxfQ\nevent: record\ndata: {\"topic\":\"w\",\"from_seq\":0,\"records\":[{\"$seq\":1,\"$ts\":5,"
            + "\"data\":{\"t\":123456789012345}}],\"to_seq\":1}\n\n"
            + "event: caught-up\ndata: {}\n\n: hb\n\n"
            + "id: x\nevent: record\ndata: {\"records\":[{\"data\":{\"t\":7}},{\"data\":{\"t\":98765}}]}\n\n";

    final List<String> seen = new ArrayList<>();
    final StreamFanIn.Sink sink = new StreamFanIn.Sink() {
        @Override
        public void caughtUp(int stream) {
            seen.add(stream + ":caught-up");
        }

        @Override
        public void record(int stream, long sentNanos, long nowNanos) {
            seen.add(stream + ":" + sentNanos + "@" + nowNanos);
        }
    };

    List<String> expected(String now) {
        return List.of("3:caught-up", "3:123456789012345@" + now, "3:caught-up", "3:7@" + now, "3:98765@" + now);
    }

    @Test
    void everyMarkerOnceWhereverTheStreamIsCutInTwo() {
        byte[] all = STREAM.getBytes(StandardCharsets.US_ASCII);
        for (int cut = 0; cut <= all.length; cut++) {
            seen.clear();
            StreamFanIn.Scan scan = new StreamFanIn.Scan(3);
            byte[] first = java.util.Arrays.copyOfRange(all, 0, cut);
            byte[] second = java.util.Arrays.copyOfRange(all, cut, all.length);
            scan.feed(first, first.length, 1, sink);
            scan.feed(second, second.length, 1, sink);
            assertEquals(expected("1"), seen, "cut at " + cut);
        }
    }

    @Test
    void everyMarkerOnceReadByteByByteAndInOneLargeRead() {
        byte[] all = STREAM.getBytes(StandardCharsets.US_ASCII);
        StreamFanIn.Scan scan = new StreamFanIn.Scan(3);
        for (byte b : all) {
            scan.feed(new byte[] {b}, 1, 2, sink);
        }
        assertEquals(expected("2"), seen);
        seen.clear();
        StringBuilder big = new StringBuilder();
        while (big.length() < 20_000) {
            big.append(STREAM);
        }
        byte[] many = big.toString().getBytes(StandardCharsets.US_ASCII);
        new StreamFanIn.Scan(3).feed(many, many.length, 2, sink); // more than one scan piece
        assertEquals(5 * (big.length() / STREAM.length()), seen.size());
    }
}
