package io.topics.server.engine;

import java.util.Arrays;

/**
 * One write request, already validated: records whose {@code data} and {@code meta} are the
 * exact JSON bytes to store, kept in one shared arena so a batch costs a handful of arrays,
 * not objects per record. Filled by the request parser (or by tests and benchmarks), then
 * handed to {@link Engine#append}. Not thread-safe; not reused after append.
 */
public final class WriteBatch {
    private final JsonOut arena;
    private int[] dataOff;
    private int[] dataLen;
    private int[] metaOff;
    private int[] metaLen;
    private String[] tags;
    private String[] nodes;
    private int size;
    private long payloadBytes;

    private String idempotencyKey;
    private Boolean create;
    private ConfigPatch createConfig;
    private boolean disableBackpressure;

    public WriteBatch(int expectedRecords, int expectedBytes) {
        int n = Math.max(1, expectedRecords);
        arena = new JsonOut(Math.max(64, expectedBytes));
        dataOff = new int[n];
        dataLen = new int[n];
        metaOff = new int[n];
        metaLen = new int[n];
        tags = new String[n];
        nodes = new String[n];
    }

    /** Where the parser writes payload bytes; record offsets point into it. */
    public JsonOut arena() {
        return arena;
    }

    /**
     * Adds a record whose data bytes were written to the arena at
     * {@code [dataOffset, dataOffset + dataLength)}; a missing meta has length 0.
     */
    public void add(int dataOffset, int dataLength, int metaOffset, int metaLength, String tag, String node) {
        if (size == dataOff.length) {
            grow();
        }
        dataOff[size] = dataOffset;
        dataLen[size] = dataLength;
        metaOff[size] = metaOffset;
        metaLen[size] = metaLength;
        tags[size] = tag;
        nodes[size] = node;
        payloadBytes += dataLength + metaLength;
        size++;
    }

    /** Convenience for tests and benchmarks: copies {@code data} (valid compact JSON) in. */
    public WriteBatch add(byte[] data, String tag) {
        int off = arena.size();
        arena.raw(data);
        add(off, data.length, 0, 0, tag, null);
        return this;
    }

    /** Gives every record without its own {@code node} the batch's {@code node}. */
    public void defaultNode(String node) {
        for (int i = 0; i < size; i++) {
            if (nodes[i] == null) {
                nodes[i] = node;
            }
        }
    }

    public int size() {
        return size;
    }

    /** Sum of data and meta bytes over all records. */
    public long payloadBytes() {
        return payloadBytes;
    }

    public WriteBatch idempotencyKey(String key) {
        this.idempotencyKey = key;
        return this;
    }

    public String idempotencyKey() {
        return idempotencyKey;
    }

    /** Overrides the topic's {@code auto_create} for this write; null means no override. */
    public WriteBatch create(Boolean create) {
        this.create = create;
        return this;
    }

    public Boolean create() {
        return create;
    }

    /** The config used only if this write creates the topic; null means defaults. */
    public WriteBatch createConfig(ConfigPatch config) {
        this.createConfig = config;
        return this;
    }

    public ConfigPatch createConfig() {
        return createConfig;
    }

    /** The client asked to wait out a busy WAL instead of getting {@code 429} at once. */
    public WriteBatch disableBackpressure(boolean disable) {
        this.disableBackpressure = disable;
        return this;
    }

    public boolean disableBackpressure() {
        return disableBackpressure;
    }

    byte[] bytes() {
        return arena.array();
    }

    int dataOff(int i) {
        return dataOff[i];
    }

    int dataLen(int i) {
        return dataLen[i];
    }

    int metaOff(int i) {
        return metaOff[i];
    }

    int metaLen(int i) {
        return metaLen[i];
    }

    String tag(int i) {
        return tags[i];
    }

    String node(int i) {
        return nodes[i];
    }

    private void grow() {
        int n = dataOff.length * 2;
        dataOff = Arrays.copyOf(dataOff, n);
        dataLen = Arrays.copyOf(dataLen, n);
        metaOff = Arrays.copyOf(metaOff, n);
        metaLen = Arrays.copyOf(metaLen, n);
        tags = Arrays.copyOf(tags, n);
        nodes = Arrays.copyOf(nodes, n);
    }
}
