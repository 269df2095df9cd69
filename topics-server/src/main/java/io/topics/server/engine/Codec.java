package io.topics.server.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import io.topics.api.TopicConfig;
import io.topics.api.TopicConfig.Discard;
import io.topics.api.TopicConfig.TopicType;

/**
 * The payload formats of the engine's WAL frames (little-endian). Strings are a u16 length
 * (0xFFFF for null) and UTF-8 bytes.
 *
 * <pre>
 * records := count:u32 { dataLen:u32 metaLen:u32 tag:str node:str data meta }*
 * create  := name:str config
 * config  := version:u8(1) type:u8 ttl:i64 capRecords:i64 capBytes:i64 discard:u8 durability:str
 *            hasPriority:u8 priority:i32 autoPriority:u8 autoCreate:u8 window:i64 dedupeNode:u8
 *            lease:i64 jitter:i64 maxDeliveries:i64 deadLetter:str leasesDurable:u8
 * delete  := bound:i64 kind:u8(0 below bound, 1 tag equal, 2 tag prefix) tag:str
 * lost    := from:i64   (the range's last seq is the frame's seq)
 * </pre>
 */
public final class Codec {
    private static final int NULL_STRING = 0xFFFF;

    private Codec() {
    }

    /** Encodes a batch's records into a fresh buffer the WAL may keep. */
    public static ByteBuffer records(WriteBatch b) {
        int size = 4;
        byte[][] tags = new byte[b.size()][];
        byte[][] nodes = new byte[b.size()][];
        for (int i = 0; i < b.size(); i++) {
            tags[i] = utf8(b.tag(i));
            nodes[i] = utf8(b.node(i));
            size += 12 + len(tags[i]) + len(nodes[i]) + b.dataLen(i) + b.metaLen(i);
        }
        ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(b.size());
        byte[] src = b.bytes();
        for (int i = 0; i < b.size(); i++) {
            out.putInt(b.dataLen(i)).putInt(b.metaLen(i));
            putString(out, tags[i]);
            putString(out, nodes[i]);
            out.put(src, b.dataOff(i), b.dataLen(i)).put(src, b.metaOff(i), b.metaLen(i));
        }
        return out.flip();
    }

    /** The number of records in a records payload. */
    public static int recordCount(ByteBuffer in) {
        return in.duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    /** Decodes a records payload back into a batch. */
    public static WriteBatch records(ByteBuffer in) {
        ByteBuffer p = in.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int count = p.getInt();
        WriteBatch b = new WriteBatch(count, p.remaining());
        JsonOut arena = b.arena();
        for (int i = 0; i < count; i++) {
            int dl = p.getInt();
            int ml = p.getInt();
            String tag = getString(p);
            String node = getString(p);
            int off = arena.size();
            byte[] bytes = new byte[dl + ml];
            p.get(bytes);
            arena.raw(bytes);
            b.add(off, dl, off + dl, ml, tag, node);
        }
        return b;
    }

    public static ByteBuffer create(String name, TopicConfig c) {
        ByteBuffer cfg = config(c);
        byte[] n = utf8(name);
        return ByteBuffer.allocate(2 + n.length + cfg.remaining()).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) n.length).put(n).put(cfg).flip();
    }

    /** The name of a create payload; {@link #createConfig} reads the rest. */
    public static String createName(ByteBuffer in) {
        return getString(in.duplicate().order(ByteOrder.LITTLE_ENDIAN));
    }

    public static TopicConfig createConfig(ByteBuffer in) {
        ByteBuffer p = in.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        getString(p);
        return config(p);
    }

    public static ByteBuffer config(TopicConfig c) {
        byte[] durability = utf8(c.durability());
        byte[] deadLetter = utf8(c.deadLetter());
        ByteBuffer out = ByteBuffer.allocate(96 + len(durability) + len(deadLetter)).order(ByteOrder.LITTLE_ENDIAN);
        out.put((byte) 1).put((byte) c.type().ordinal()).putLong(c.ttlMs()).putLong(c.capRecords()).putLong(c.capBytes())
                .put((byte) c.discard().ordinal());
        putString(out, durability);
        out.put((byte) (c.priority() == null ? 0 : 1)).putInt(c.priority() == null ? 0 : c.priority())
                .put(bool(c.autoPriority())).put(bool(c.autoCreate())).putLong(c.idempotencyWindowMs())
                .put(bool(c.dedupeNode())).putLong(c.leaseMs()).putLong(c.claimJitterMs()).putLong(c.maxDeliveries());
        putString(out, deadLetter);
        out.put(bool(c.leasesDurable()));
        return out.flip();
    }

    public static TopicConfig config(ByteBuffer in) {
        ByteBuffer p = in.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int version = p.get();
        if (version != 1) {
            throw new IllegalArgumentException("unknown config format version " + version);
        }
        TopicType type = TopicType.values()[p.get()];
        long ttl = p.getLong();
        long capRecords = p.getLong();
        long capBytes = p.getLong();
        Discard discard = Discard.values()[p.get()];
        String durability = getString(p);
        boolean hasPriority = p.get() != 0;
        int priority = p.getInt();
        boolean autoPriority = p.get() != 0;
        boolean autoCreate = p.get() != 0;
        long window = p.getLong();
        boolean dedupeNode = p.get() != 0;
        long lease = p.getLong();
        long jitter = p.getLong();
        long maxDeliveries = p.getLong();
        String deadLetter = getString(p);
        boolean leasesDurable = p.get() != 0;
        return new TopicConfig(type, ttl, capRecords, capBytes, discard, durability, hasPriority ? priority : null,
                autoPriority, autoCreate, window, dedupeNode, lease, jitter, maxDeliveries, deadLetter, leasesDurable);
    }

    /**
     * A record delete as it was asked, with the bound it was taken at: every record below
     * {@code bound} that the tag selects. Replay runs the same selection again.
     */
    public static ByteBuffer delete(long bound, DeleteSelector sel) {
        byte[] tag = utf8(sel.tag());
        ByteBuffer out = ByteBuffer.allocate(8 + 1 + 2 + len(tag)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(bound).put((byte) (sel.tag() == null ? 0 : sel.tagPrefix() ? 2 : 1));
        putString(out, tag);
        return out.flip();
    }

    /** A lost range's payload: its first seq. */
    public static ByteBuffer lostRange(long from) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, from);
    }

    /** The first seq of a lost range payload. */
    public static long lostFrom(ByteBuffer in) {
        return in.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(in.position());
    }

    /** The bound of a delete payload. */
    public static long deleteBound(ByteBuffer in) {
        return in.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** The selector of a delete payload, its bound folded into {@code beforeSeq}. */
    public static DeleteSelector deleteSelector(ByteBuffer in) {
        ByteBuffer p = in.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long bound = p.getLong();
        byte kind = p.get();
        String tag = getString(p);
        if (kind < 0 || kind > 2 || (kind == 0) != (tag == null) || bound < 1) {
            throw new IllegalArgumentException("bad delete payload: kind " + kind + ", bound " + bound);
        }
        return new DeleteSelector(bound, tag, kind == 2);
    }

    private static byte bool(boolean b) {
        return (byte) (b ? 1 : 0);
    }

    static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    static int len(byte[] b) {
        return b == null ? 0 : b.length;
    }

    static void putString(ByteBuffer out, byte[] s) {
        if (s == null) {
            out.putShort((short) NULL_STRING);
        } else {
            out.putShort((short) s.length).put(s);
        }
    }

    static String getString(ByteBuffer p) {
        int n = p.getShort() & 0xFFFF;
        if (n == NULL_STRING) {
            return null;
        }
        byte[] b = new byte[n];
        p.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
