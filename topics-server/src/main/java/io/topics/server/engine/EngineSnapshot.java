package io.topics.server.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import io.topics.api.TopicConfig;
import io.topics.segments.SegmentInfo;

/**
 * What a snapshot holds: every topic with its config, its sealed segments and the seqs it must
 * never hand out again, as of a WAL position. Records newer than a topic's
 * {@code sealedThrough} are not in it: they are replayed from the WAL, from {@code replayFrom}.
 *
 * <pre>
 * snapshot := version:u8(3) replayFrom:i64 lastTopicId:i64 topics:u32 topic*
 * topic    := id:i64 createLen:u32 create sealedThrough:i64 reserved:i64 lastWriteTs:i64
 *             segments:u32 { firstSeq:i64 lastSeq:i64 count:i64 payloadBytes:i64 fileBytes:i64 }*
 *             live:i64 liveBytes:i64 low:i64 capThrough:i64 ttlThrough:i64 tailReserved:i64
 *             holes:u32 { lo:i64 hi:i64 }* deletes
 * </pre>
 * ({@code create} is the {@link Codec#create} format: the name and the config; {@code live}
 * and {@code liveBytes} count the live records up to {@code sealedThrough}, {@code low} is the
 * first seq not gone, and {@code deletes} is the {@link DeleteSet} format.)
 *
 * @param replayFrom  the lowest lsn recovery must replay; frames below it are all covered
 * @param lastTopicId the highest topic id ever handed out
 */
record EngineSnapshot(long replayFrom, long lastTopicId, List<TopicState> topics) {
    private static final byte VERSION = 3;

    /** One topic instance in a snapshot. */
    record TopicState(long id, String name, TopicConfig config, long sealedThrough, long reserved, long lastWriteTs,
                      List<SegmentInfo> segments, TopicLog.Retained retained, long tailReserved) {
    }

    ByteBuffer encode() {
        List<ByteBuffer> creates = new ArrayList<>(topics.size());
        long size = 1 + 8 + 8 + 4;
        for (TopicState t : topics) {
            ByteBuffer c = Codec.create(t.name, t.config);
            creates.add(c);
            size += 8 + 4 + c.remaining() + 24 + 4 + 40L * t.segments.size() + 52 + 8L * t.retained.holes().length + t.retained.deletes().remaining();
        }
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
        out.put(VERSION).putLong(replayFrom).putLong(lastTopicId).putInt(topics.size());
        for (int i = 0; i < topics.size(); i++) {
            TopicState t = topics.get(i);
            ByteBuffer c = creates.get(i);
            out.putLong(t.id).putInt(c.remaining()).put(c).putLong(t.sealedThrough).putLong(t.reserved)
                    .putLong(t.lastWriteTs).putInt(t.segments.size());
            for (SegmentInfo s : t.segments) {
                out.putLong(s.firstSeq()).putLong(s.lastSeq()).putLong(s.count()).putLong(s.payloadBytes())
                        .putLong(s.fileBytes());
            }
            TopicLog.Retained r = t.retained;
            out.putLong(r.live()).putLong(r.bytes()).putLong(r.low()).putLong(r.capThrough()).putLong(r.ttlThrough())
                    .putLong(t.tailReserved).putInt(r.holes().length / 2);
            for (long h : r.holes()) {
                out.putLong(h);
            }
            out.put(r.deletes().duplicate());
        }
        return out.flip();
    }

    /** The {@code replayFrom} of an encoded snapshot, without decoding the rest. */
    static long replayFromOf(ByteBuffer in) {
        return in.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(in.position() + 1);
    }

    /** @throws IllegalArgumentException when the payload is not a snapshot this version can read */
    static EngineSnapshot decode(ByteBuffer in) {
        ByteBuffer p = in.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        try {
            byte version = p.get();
            if (version != VERSION) {
                throw new IllegalArgumentException("unknown snapshot format version " + version);
            }
            long replayFrom = p.getLong();
            long lastTopicId = p.getLong();
            int n = p.getInt();
            List<TopicState> topics = new ArrayList<>(Math.min(n, 1 << 16));
            for (int i = 0; i < n; i++) {
                long id = p.getLong();
                int createLen = p.getInt();
                ByteBuffer c = p.slice(p.position(), createLen).order(ByteOrder.LITTLE_ENDIAN);
                p.position(p.position() + c.remaining());
                long sealedThrough = p.getLong();
                long reserved = p.getLong();
                long lastWriteTs = p.getLong();
                int segs = p.getInt();
                List<SegmentInfo> segments = new ArrayList<>(Math.min(segs, 1 << 16));
                for (int s = 0; s < segs; s++) {
                    segments.add(new SegmentInfo(p.getLong(), p.getLong(), p.getLong(), p.getLong(), p.getLong()));
                }
                long live = p.getLong();
                long liveBytes = p.getLong();
                long low = p.getLong();
                long capThrough = p.getLong();
                long ttlThrough = p.getLong();
                long tailReserved = p.getLong();
                int holeCount = p.getInt();
                if (holeCount < 0 || holeCount > p.remaining() / 16) {
                    throw new IllegalArgumentException("bad hole count " + holeCount);
                }
                long[] holes = new long[holeCount * 2];
                for (int h = 0; h < holes.length; h++) {
                    holes[h] = p.getLong();
                }
                int at = p.position();
                DeleteSet.decode(p); // moves past it, and checks it
                ByteBuffer deletes = p.slice(at, p.position() - at).order(ByteOrder.LITTLE_ENDIAN);
                topics.add(new TopicState(id, Codec.createName(c), Codec.createConfig(c), sealedThrough, reserved,
                        lastWriteTs, segments, new TopicLog.Retained(live, liveBytes, low, capThrough, ttlThrough,
                        holes, deletes), tailReserved));
            }
            return new EngineSnapshot(replayFrom, lastTopicId, topics);
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("snapshot payload is cut short", e);
        }
    }
}
