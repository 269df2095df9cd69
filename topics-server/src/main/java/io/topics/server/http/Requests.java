package io.topics.server.http;

import java.io.IOException;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.topics.api.ErrorCode;
import io.topics.api.TopicConfig.Discard;
import io.topics.api.TopicConfig.TopicType;
import io.topics.api.TopicsException;
import io.topics.server.engine.ConfigPatch;
import io.topics.server.engine.DeleteSelector;
import io.topics.server.engine.DiffQuery;
import io.topics.server.watch.WatchOptions;
import io.topics.server.engine.JsonOut;
import io.topics.server.engine.WriteBatch;

/**
 * Parses request bodies into engine inputs with Jackson's streaming parser: no trees, no
 * objects per record. Every problem becomes a {@link TopicsException} with the documented code;
 * nothing here touches a topic.
 */
public final class Requests {
    private static final String NO_SELECTOR = "a delete needs \"before_seq\", \"match\" or both";
    private static final String MATCH_SHAPE = "match must be [\"tag\", \"Eq\" or \"Glob\", value] or a tag string";

    private final ProtocolLimits limits;

    public Requests(ProtocolLimits limits) {
        this.limits = limits;
    }

    /** A write body (spec §5). {@code headerKey} is the {@code Idempotency-Key} header, if any. */
    public WriteBatch write(byte[] body, int len, String headerKey) {
        if (len == 0) {
            throw TopicsException.invalid("a write needs a body with \"records\"");
        }
        try (JsonParser p = Json.objectParser(body, len)) {
            // ~48 bytes is a small record with its framing: a size that rarely needs to grow
            WriteBatch batch = new WriteBatch(Math.max(16, Math.min(limits.maxBatchRecords(), len / 48)), len);
            boolean sawRecords = false;
            String batchNode = null;
            String key = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "records" -> {
                        records(p, body, batch);
                        sawRecords = true;
                    }
                    case "node" -> batchNode = boundedString(p, "node", limits.maxNodeBytes());
                    case "idempotency_key" -> key = idempotencyKey(Json.string(p, "idempotency_key"));
                    case "create" -> batch.create(Json.bool(p, "create"));
                    case "config" -> batch.createConfig(config(p, "config"));
                    case "disable_backpressure" -> batch.disableBackpressure(Json.bool(p, "disable_backpressure"));
                    default -> p.skipChildren();
                }
            }
            Json.expectEnd(p);
            if (!sawRecords || batch.size() == 0) {
                throw TopicsException.invalid("records must be an array of 1 to " + limits.maxBatchRecords() + " records");
            }
            if (batchNode != null) {
                batch.defaultNode(batchNode);
            }
            if (key == null && headerKey != null) {
                key = idempotencyKey(headerKey);
            }
            return batch.idempotencyKey(key);
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    /** A diff body (spec §6.1); empty means {@code {"from_seq":0}}. */
    public DiffQuery diff(byte[] body, int len) {
        if (len == 0) {
            return DiffQuery.from(0);
        }
        try (JsonParser p = Json.objectParser(body, len)) {
            long from = 0;
            int limit = DiffQuery.DEFAULT_LIMIT;
            long maxBytes = DiffQuery.DEFAULT_MAX_BATCH_BYTES;
            long waitMs = 0;
            boolean tags = true;
            boolean meta = true;
            Set<String> nodes = Set.of();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "from_seq" -> from = Json.u64(p, "from_seq");
                    case "limit" -> {
                        long l = Json.u64(p, "limit");
                        limit = l == 0 ? DiffQuery.DEFAULT_LIMIT : (int) Math.min(l, limits.maxLimit());
                    }
                    case "max_batch_bytes" -> {
                        long b = Json.u64(p, "max_batch_bytes");
                        maxBytes = b == 0 ? DiffQuery.DEFAULT_MAX_BATCH_BYTES : Math.min(b, limits.maxBatchBytes());
                    }
                    case "wait_ms" -> waitMs = Math.min(Json.u64(p, "wait_ms"), limits.maxWaitMs());
                    case "include_tags" -> tags = Json.bool(p, "include_tags");
                    case "include_meta" -> meta = Json.bool(p, "include_meta");
                    case "node" -> nodes = nodes(p);
                    default -> p.skipChildren();
                }
            }
            Json.expectEnd(p);
            return new DiffQuery(from, limit, maxBytes, waitMs, tags, meta, nodes);
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    /** A watch body (spec §11.1): each topic's start ({@code from_seq}, or {@code tail}), and the options. */
    record Watch(Map<String, Long> topics, WatchOptions options) {
        static final long TAIL = -1; // a start that means the head at creation
    }

    public Watch watch(byte[] body, int len) {
        try (JsonParser p = Json.objectParser(body, len)) {
            Map<String, Long> topics = null;
            Set<String> nodes = Set.of();
            int limit = WatchOptions.DEFAULT_LIMIT;
            long maxBytes = WatchOptions.DEFAULT_MAX_BATCH_BYTES;
            long heartbeat = WatchOptions.DEFAULT_HEARTBEAT_MS;
            boolean meta = true;
            boolean tags = true;
            boolean data = true;
            boolean strong = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "topics" -> topics = watchTopics(p);
                    case "node" -> nodes = nodes(p);
                    case "limit" -> {
                        long l = Json.u64(p, "limit");
                        limit = l == 0 ? WatchOptions.DEFAULT_LIMIT : (int) Math.min(l, limits.maxLimit());
                    }
                    case "max_batch_bytes" -> {
                        long b = Json.u64(p, "max_batch_bytes");
                        maxBytes = b == 0 ? DiffQuery.DEFAULT_MAX_BATCH_BYTES : Math.min(b, limits.maxBatchBytes());
                    }
                    case "heartbeat_ms" -> heartbeat = Math.max(1_000, Math.min(60_000, Json.u64(p, "heartbeat_ms")));
                    case "include_meta" -> meta = Json.bool(p, "include_meta");
                    case "include_tags" -> tags = Json.bool(p, "include_tags");
                    case "include_data" -> data = Json.bool(p, "include_data");
                    case "consistency" -> {
                        String c = Json.string(p, "consistency");
                        if (!c.equals("eventual") && !c.equals("strong")) {
                            throw TopicsException.invalid("consistency must be \"eventual\" or \"strong\"");
                        }
                        strong = c.equals("strong");
                    }
                    default -> p.skipChildren();
                }
            }
            Json.expectEnd(p);
            if (topics == null || topics.isEmpty()) {
                throw badWatchTopicCount();
            }
            return new Watch(topics, new WatchOptions(nodes, limit, maxBytes, heartbeat, meta, tags, data, strong));
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    private TopicsException badWatchTopicCount() {
        return TopicsException.invalid("topics must name 1 to " + limits.maxWatchTopics() + " topics");
    }

    /** The watch's topic map, refused as soon as it names more than {@code TOPICS_MAX_WATCH_TOPICS}. */
    private Map<String, Long> watchTopics(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw TopicsException.invalid("topics must be an object of topic -> {from_seq, tail}");
        }
        Map<String, Long> topics = new java.util.LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            io.topics.api.Names.requireTopicName(name);
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw TopicsException.invalid("topics." + name + " must be an object");
            }
            long from = 0;
            boolean tail = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "from_seq" -> from = Json.u64(p, "from_seq");
                    case "tail" -> tail = Json.bool(p, "tail");
                    default -> p.skipChildren();
                }
            }
            topics.put(name, tail ? Watch.TAIL : from);
            if (topics.size() > limits.maxWatchTopics()) {
                throw badWatchTopicCount();
            }
        }
        return topics;
    }

    /**
     * A record-delete body (spec §8): {@code before_seq} and/or {@code match}, ANDed. A present
     * {@code before_seq} of 0 is a bound that selects nothing; a match value longer than a tag may
     * be ({@code TOPICS_MAX_TAG_BYTES}) is 400, as no record can carry it.
     */
    public DeleteSelector delete(byte[] body, int len) {
        if (len == 0) {
            throw TopicsException.invalid(NO_SELECTOR);
        }
        try (JsonParser p = Json.objectParser(body, len)) {
            long before = -1;
            DeleteSelector match = null; // tag part only; the bound is added at the end
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "before_seq" -> before = Json.u64(p, "before_seq");
                    case "match" -> match = match(p);
                    default -> p.skipChildren();
                }
            }
            Json.expectEnd(p);
            if (before < 0 && match == null) {
                throw TopicsException.invalid(NO_SELECTOR);
            }
            // the selector's 0 means "no bound"; seqs start at 1, so a bound of 1 is the same empty set as 0
            long bound = before < 0 ? 0 : Math.max(1, before);
            return new DeleteSelector(bound, match == null ? null : match.tag(), match != null && match.tagPrefix());
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    /** {@code ["tag", op, value]}, exactly 3 strings; or the shorthand string, a Glob when it ends in "*". */
    private DeleteSelector match(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_STRING) {
            String v = p.getText();
            return tagMatch(v, v.endsWith("*"));
        }
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw TopicsException.invalid(MATCH_SHAPE);
        }
        String[] parts = new String[3];
        int n = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (n == parts.length || p.currentToken() != JsonToken.VALUE_STRING) {
                throw TopicsException.invalid(MATCH_SHAPE);
            }
            parts[n++] = p.getText();
        }
        if (n != parts.length || !parts[0].equals("tag")) {
            throw TopicsException.invalid(MATCH_SHAPE);
        }
        return switch (parts[1]) {
            case "Eq" -> tagMatch(parts[2], false);
            case "Glob" -> {
                if (!parts[2].endsWith("*")) {
                    throw TopicsException.invalid("a Glob match value must end with \"*\" (prefix matches only)");
                }
                yield tagMatch(parts[2], true);
            }
            default -> throw TopicsException.invalid("match op must be \"Eq\" or \"Glob\" (case-sensitive)");
        };
    }

    /** For a glob, only the one trailing "*" is syntax: any other "*" is part of the prefix. */
    private DeleteSelector tagMatch(String value, boolean glob) {
        String tag = glob ? value.substring(0, value.length() - 1) : value;
        if (Json.utf8Length(tag) > limits.maxTagBytes()) {
            throw TopicsException.invalid("match value exceeds " + limits.maxTagBytes() + " bytes, the longest tag there can be");
        }
        return new DeleteSelector(0, tag, glob);
    }

    /** A PUT body (spec §2, §4.1); empty means {@code {}}. */
    public ConfigPatch config(byte[] body, int len) {
        if (len == 0) {
            return ConfigPatch.EMPTY;
        }
        try (JsonParser p = Json.objectParser(body, len)) {
            ConfigPatch patch = config(p, "body");
            Json.expectEnd(p);
            return patch;
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    private void records(JsonParser p, byte[] body, WriteBatch batch) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw TopicsException.invalid("records must be an array");
        }
        JsonOut arena = batch.arena();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (batch.size() == limits.maxBatchRecords()) {
                throw new TopicsException(ErrorCode.BATCH_TOO_LARGE,
                        "a write holds at most " + limits.maxBatchRecords() + " records",
                        Map.of("max", limits.maxBatchRecords()));
            }
            int index = batch.size();
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw TopicsException.invalid("records[" + index + "] must be an object");
            }
            int dataOff = -1;
            int dataLen = 0;
            int metaOff = 0;
            int metaLen = 0;
            String tag = null;
            String node = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "data" -> {
                        dataOff = arena.size();
                        Json.copyValue(p, body, arena);
                        dataLen = arena.size() - dataOff;
                    }
                    case "tag" -> tag = boundedString(p, "tag", limits.maxTagBytes());
                    case "node" -> node = boundedString(p, "node", limits.maxNodeBytes());
                    case "meta" -> {
                        if (p.currentToken() == JsonToken.VALUE_NULL) {
                            metaLen = 0;
                            continue;
                        }
                        metaOff = arena.size();
                        int keys = Json.copyValue(p, body, arena);
                        metaLen = arena.size() - metaOff;
                        if (metaLen > limits.maxMetaBytes() || keys > limits.maxMetaKeys()) {
                            throw TopicsException.invalid("records[" + index + "].meta exceeds "
                                    + limits.maxMetaBytes() + " bytes or " + limits.maxMetaKeys() + " keys");
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (dataOff < 0) {
                throw TopicsException.invalid("records[" + index + "].data is required (it may be null)");
            }
            if ((long) dataLen + metaLen > limits.maxRecordBytes()) {
                throw new TopicsException(ErrorCode.RECORD_TOO_LARGE,
                        "records[" + index + "] data+meta is " + (dataLen + metaLen) + " bytes; the limit is "
                                + limits.maxRecordBytes(), Map.of("index", index, "max", limits.maxRecordBytes()));
            }
            batch.add(dataOff, dataLen, metaOff, metaLen, tag, node);
        }
    }

    private ConfigPatch config(JsonParser p, String what) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw TopicsException.invalid(what + " must be a JSON object");
        }
        TopicType type = null;
        Long ttl = null;
        Long capRecords = null;
        Long capBytes = null;
        Discard discard = null;
        Boolean durable = null;
        String durability = null;
        Optional<Integer> priority = null;
        Boolean autoPriority = null;
        Boolean autoCreate = null;
        Long window = null;
        Boolean dedupeNode = null;
        Long lease = null;
        Long jitter = null;
        Long maxDeliveries = null;
        Optional<String> deadLetter = null;
        Boolean leasesDurable = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "type" -> type = switch (Json.string(p, "type")) {
                    case "log" -> TopicType.LOG;
                    case "queue" -> TopicType.QUEUE;
                    default -> throw TopicsException.invalid("type must be \"log\" or \"queue\"");
                };
                case "ttl_ms" -> ttl = Json.u64(p, field);
                case "cap_records" -> capRecords = Json.u64(p, field);
                case "cap_bytes" -> capBytes = Json.u64(p, field);
                case "discard" -> discard = switch (Json.string(p, "discard")) {
                    case "old" -> Discard.OLD;
                    case "reject" -> Discard.REJECT;
                    default -> throw TopicsException.invalid("discard must be \"old\" or \"reject\"");
                };
                case "durable" -> durable = Json.bool(p, field);
                case "durability" -> durability = Json.string(p, field);
                case "priority" -> priority = p.currentToken() == JsonToken.VALUE_NULL ? Optional.empty()
                        : Optional.of(Json.saturatedInt(p, field));
                case "auto_priority" -> autoPriority = Json.bool(p, field);
                case "auto_create" -> autoCreate = Json.bool(p, field);
                case "idempotency_window_ms" -> window = Json.u64(p, field);
                case "dedupe_node" -> dedupeNode = Json.bool(p, field);
                case "lease_ms" -> lease = Json.u64(p, field);
                case "claim_jitter_ms" -> jitter = Json.u64(p, field);
                case "max_deliveries" -> maxDeliveries = Json.u64(p, field);
                case "dead_letter" -> deadLetter = Optional.ofNullable(Json.stringOrNull(p, field));
                case "leases_durable" -> leasesDurable = Json.bool(p, field);
                default -> p.skipChildren();
            }
        }
        return new ConfigPatch(type, ttl, capRecords, capBytes, discard, durable, durability, priority, autoPriority,
                autoCreate, window, dedupeNode, lease, jitter, maxDeliveries, deadLetter, leasesDurable);
    }

    private Set<String> nodes(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_STRING) {
            return Set.of(p.getText());
        }
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw TopicsException.invalid("node must be a string or an array of strings");
        }
        Set<String> nodes = new HashSet<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            nodes.add(Json.string(p, "node[]"));
        }
        return nodes;
    }

    private static String boundedString(JsonParser p, String field, int maxBytes) throws IOException {
        String s = Json.stringOrNull(p, field);
        if (s != null && Json.utf8Length(s) > maxBytes) {
            throw TopicsException.invalid(field + " exceeds " + maxBytes + " bytes");
        }
        return s;
    }

    private String idempotencyKey(String key) {
        if (key.isEmpty() || key.length() > limits.maxIdempotencyKey()) {
            throw TopicsException.invalid("idempotency_key must be 1 to " + limits.maxIdempotencyKey() + " characters");
        }
        return key;
    }

    private static TopicsException malformed(IOException e) {
        String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe
                ? jpe.getOriginalMessage() : e.getMessage();
        return TopicsException.invalid("malformed JSON: " + (why == null ? "unreadable body" : why.lines().findFirst().orElse(why)));
    }
}
