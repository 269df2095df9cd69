package io.topics.server.engine;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

import io.topics.api.ErrorCode;
import io.topics.api.Names;
import io.topics.api.TopicConfig;
import io.topics.api.TopicsException;

/**
 * The topic registry and the write and read paths, free of any HTTP type. Thread-safe:
 * writers to one topic serialize on that topic's lock for the few microseconds it takes to
 * assign seqs and copy bytes; readers never lock.
 */
public final class Engine {
    private final InstantSource clock;
    private final EngineLimits limits;
    private final Set<String> durabilityClasses;
    private final ConcurrentSkipListMap<String, Topic> topics = new ConcurrentSkipListMap<>();
    /** Serializes topic creation and deletion, so the topic count and the cap stay exact. */
    private final ReentrantLock registryLock = new ReentrantLock();
    private final AtomicLong epochs = new AtomicLong();
    private final LongAdder totalBytes = new LongAdder();
    private final LongAdder appendedRecords = new LongAdder();
    private volatile int topicCount;

    public Engine(InstantSource clock, EngineLimits limits, Set<String> durabilityClasses) {
        this.clock = Objects.requireNonNull(clock, "clock is null");
        this.limits = Objects.requireNonNull(limits, "limits is null");
        this.durabilityClasses = Set.copyOf(durabilityClasses);
        if (!this.durabilityClasses.contains(TopicConfig.DEFAULT_DURABILITY)
                || !this.durabilityClasses.contains(TopicConfig.FSYNC)) {
            throw new IllegalArgumentException("durability classes must include disk and fsync: " + durabilityClasses);
        }
    }

    /** Create or configure (spec §4.1): an idempotent upsert; omitted fields keep their value. */
    public PutResult putTopic(String name, ConfigPatch patch) {
        Names.requireTopicName(name);
        while (true) {
            Topic t = topics.get(name);
            if (t == null) {
                Created c = create(name, patch.applyTo(TopicConfig.DEFAULTS, name, durabilityClasses));
                if (c.created) {
                    return new PutResult(name, true, c.topic.config());
                }
                t = c.topic;
            }
            t.lock.lock();
            try {
                if (t.retired()) {
                    continue;
                }
                TopicConfig current = t.config();
                if (patch.type() != null && patch.type() != current.type()) {
                    throw new TopicsException(ErrorCode.TOPIC_EXISTS_INCOMPATIBLE,
                            "topic \"" + name + "\" is a " + current.type().wireName() + "; type cannot change",
                            Map.of("topic", name, "type", current.type().wireName()));
                }
                TopicConfig next = patch.applyTo(current, name, durabilityClasses);
                t.config(next);
                return new PutResult(name, false, next);
            } finally {
                t.lock.unlock();
            }
        }
    }

    /**
     * Appends a batch atomically (spec §5), creating the topic first when allowed. Returns once
     * the batch is committed for the topic's durability class and visible to readers.
     */
    public AppendResult append(String name, WriteBatch batch) {
        Names.requireTopicName(name);
        if (batch.size() == 0) {
            throw TopicsException.invalid("records must hold at least one record");
        }
        checkTotalBytes(batch.payloadBytes());
        while (true) {
            Topic t = topics.get(name);
            boolean created = false;
            if (t == null) {
                ConfigPatch patch = batch.createConfig() == null ? ConfigPatch.EMPTY : batch.createConfig();
                TopicConfig config = patch.applyTo(TopicConfig.DEFAULTS, name, durabilityClasses);
                boolean allowed = batch.create() != null ? batch.create() : config.autoCreate();
                if (!allowed) {
                    throw TopicsException.topicNotFound(name);
                }
                Created c = create(name, config);
                t = c.topic;
                created = c.created;
            }
            t.lock.lock();
            try {
                if (t.retired()) {
                    continue;
                }
                long now = clock.millis();
                String key = batch.idempotencyKey();
                if (key != null) {
                    IdempotencyWindow.Entry seen = t.idempotency().find(key, now);
                    if (seen != null) {
                        return new AppendResult(name, seen.firstSeq(), seen.firstSeq() + seen.count() - 1,
                                t.log.head(), 0, created, true);
                    }
                }
                long first = t.log.head() + 1;
                t.log.append(batch, now);
                t.wrote(now);
                long last = t.log.head();
                if (key != null) {
                    t.idempotency().remember(key, first, batch.size(), now + t.config().idempotencyWindowMs());
                }
                totalBytes.add(batch.payloadBytes());
                appendedRecords.add(batch.size());
                t.signal.fire();
                return new AppendResult(name, first, last, last, batch.size(), created, false);
            } finally {
                t.lock.unlock();
            }
        }
    }

    /**
     * Reads after {@code q.fromSeq()} (spec §6), writing the records as comma-separated JSON
     * objects into {@code out}. With {@code waitMs > 0} and nothing to return, waits for an
     * append (or a delete of the topic) for up to that long, then reads once more.
     */
    public DiffResult diff(String name, DiffQuery q, JsonOut out) throws InterruptedException {
        Topic t = require(name);
        t.touched(clock.millis());
        int mark = out.size();
        DiffResult r = t.read(q, out);
        if (q.waitMs() <= 0 || r.records() > 0 || r.tombstone() != null || !r.caughtUp()) {
            return r;
        }
        CompletableFuture<Void> appended = t.signal.arm();
        if (t.log.head() == r.headSeq() && !t.retired()) {
            try {
                appended.get(q.waitMs(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                return r;
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
        out.truncate(mark);
        Topic now = require(name);
        now.touched(clock.millis());
        return now.read(q.withWait(0), out);
    }

    /** Topic state (spec §4.2); {@code touch} bumps the auto-priority recency clock. */
    public TopicInfo state(String name, boolean touch) {
        Topic t = require(name);
        long now = clock.millis();
        if (touch) {
            t.touched(now);
        }
        return t.info(now);
    }

    /** One page of topics sorted by name, after {@code after} (exclusive), matching {@code prefix}. */
    public ListPage list(String prefix, String after, int pageSize, boolean touch) {
        String p = prefix == null ? "" : prefix;
        String start = after != null && after.compareTo(p) >= 0 ? after : p;
        boolean inclusive = after == null || after.compareTo(p) < 0;
        long now = clock.millis();
        List<TopicInfo> page = new ArrayList<>(Math.min(pageSize, 128));
        String last = null;
        for (Topic t : topics.tailMap(start, inclusive).values()) {
            if (!t.name.startsWith(p)) {
                break;
            }
            if (page.size() == pageSize) {
                return new ListPage(page, last);
            }
            if (touch) {
                t.touched(now);
            }
            page.add(t.info(now));
            last = t.name;
        }
        return new ListPage(page, null);
    }

    /**
     * Deletes a topic with its records and dedupe state (spec §4.4). Returns whether a topic
     * was deleted; an absent topic is not an error.
     *
     * @throws TopicsException {@code 409 topic_not_empty} when {@code ifEmpty} and records remain
     */
    public boolean deleteTopic(String name, boolean ifEmpty) {
        Names.requireTopicName(name);
        registryLock.lock();
        try {
            Topic t = topics.get(name);
            if (t == null) {
                return false;
            }
            t.lock.lock();
            try {
                long count = t.log.count();
                if (ifEmpty && count > 0) {
                    throw new TopicsException(ErrorCode.TOPIC_NOT_EMPTY,
                            "topic \"" + name + "\" holds " + count + " records", Map.of("topic", name, "count", count));
                }
                topics.remove(name);
                topicCount--;
                totalBytes.add(-t.log.bytes());
                t.retire();
                return true;
            } finally {
                t.lock.unlock();
            }
        } finally {
            registryLock.unlock();
        }
    }

    /** Process-wide figures for health and metrics; walks every topic. */
    public Stats stats(int maxPerTopic) {
        long now = clock.millis();
        long records = 0;
        Map<String, Long> byClass = new java.util.TreeMap<>();
        for (String c : durabilityClasses) {
            byClass.put(c, 0L);
        }
        List<TopicInfo> perTopic = new ArrayList<>();
        boolean truncated = false;
        int n = 0;
        for (Topic t : topics.values()) {
            n++;
            records += t.log.count();
            byClass.merge(t.config().durability(), 1L, Long::sum);
            if (perTopic.size() < maxPerTopic) {
                perTopic.add(t.info(now));
            } else {
                truncated = true;
            }
        }
        return new Stats(n, byClass, records, totalBytes.sum(), appendedRecords.sum(), perTopic, truncated);
    }

    /** The figures {@link #stats} reports. */
    public record Stats(int topics, Map<String, Long> topicsByClass, long recordsLive, long bytesLive,
                        long recordsAppended, List<TopicInfo> perTopic, boolean perTopicTruncated) {
    }

    public int topicCount() {
        return topicCount;
    }

    /** The names a topic config may use for {@code durability}. */
    public Set<String> durabilityClasses() {
        return durabilityClasses;
    }

    private Topic require(String name) {
        Names.requireTopicName(name);
        Topic t = topics.get(name);
        if (t == null) {
            throw TopicsException.topicNotFound(name);
        }
        return t;
    }

    private record Created(Topic topic, boolean created) {
    }

    private Created create(String name, TopicConfig config) {
        registryLock.lock();
        try {
            Topic existing = topics.get(name);
            if (existing != null) {
                return new Created(existing, false);
            }
            if (limits.maxTopics() > 0 && topicCount >= limits.maxTopics()) {
                throw new TopicsException(ErrorCode.THROTTLED, "too many topics (max " + limits.maxTopics() + ")",
                        Map.of("limit", "max_topics", "max", limits.maxTopics()));
            }
            Topic t = new Topic(name, epochs.incrementAndGet(), config);
            topics.put(name, t);
            topicCount++;
            return new Created(t, true);
        } finally {
            registryLock.unlock();
        }
    }

    private void checkTotalBytes(long adding) {
        long max = limits.maxTotalBytes();
        if (max > 0 && totalBytes.sum() + adding > max) {
            throw new TopicsException(ErrorCode.THROTTLED, "the server holds its maximum of live bytes (" + max + ")",
                    Map.of("limit", "max_total_bytes", "max", max));
        }
    }
}
