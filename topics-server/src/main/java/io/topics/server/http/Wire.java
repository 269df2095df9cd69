package io.topics.server.http;

import io.topics.api.TopicConfig;
import io.topics.server.engine.AppendResult;
import io.topics.server.engine.DeleteResult;
import io.topics.server.engine.DiffResult;
import io.topics.server.engine.JsonOut;
import io.topics.server.engine.Tombstone;
import io.topics.server.engine.TopicInfo;

/**
 * Renders engine results as the /v0 JSON shapes. Each method writes fields followed by a
 * comma, leaving the enclosing object open for {@link Exchange#send} to close.
 */
final class Wire {
    private Wire() {
    }

    static void config(JsonOut out, TopicConfig c) {
        out.ascii("{\"type\":").string(c.type().wireName())
                .ascii(",\"ttl_ms\":").number(c.ttlMs())
                .ascii(",\"cap_records\":").number(c.capRecords())
                .ascii(",\"cap_bytes\":").number(c.capBytes())
                .ascii(",\"discard\":").string(c.discard().wireName())
                .ascii(",\"durable\":").bool(c.durable())
                .ascii(",\"durability\":").string(c.durability())
                .ascii(",\"priority\":");
        if (c.priority() == null) {
            out.nul();
        } else {
            out.number(c.priority());
        }
        out.ascii(",\"auto_priority\":").bool(c.autoPriority())
                .ascii(",\"auto_create\":").bool(c.autoCreate())
                .ascii(",\"idempotency_window_ms\":").number(c.idempotencyWindowMs())
                .ascii(",\"dedupe_node\":").bool(c.dedupeNode())
                .ascii(",\"lease_ms\":").number(c.leaseMs())
                .ascii(",\"claim_jitter_ms\":").number(c.claimJitterMs())
                .ascii(",\"max_deliveries\":").number(c.maxDeliveries())
                .ascii(",\"dead_letter\":").string(c.deadLetter())
                .ascii(",\"leases_durable\":").bool(c.leasesDurable())
                .raw((byte) '}');
    }

    static void state(JsonOut out, TopicInfo t) {
        out.ascii("\"topic\":").string(t.topic())
                .ascii(",\"type\":").string(t.config().type().wireName())
                .ascii(",\"head_seq\":").number(t.headSeq())
                .ascii(",\"earliest_seq\":").number(t.earliestSeq())
                .ascii(",\"next_seq\":").number(t.nextSeq())
                .ascii(",\"count\":").number(t.count())
                .ascii(",\"bytes\":").number(t.bytes())
                .ascii(",\"config\":");
        config(out, t.config());
        out.ascii(",\"effective_priority\":").number(t.effectivePriority())
                .ascii(",\"last_write_ts\":");
        nullableNumber(out, t.lastWriteTs());
        out.ascii(",\"last_read_ts\":");
        nullableNumber(out, t.lastReadTs());
        out.raw((byte) ',');
    }

    static void listEntry(JsonOut out, TopicInfo t) {
        out.ascii("{\"topic\":").string(t.topic())
                .ascii(",\"head_seq\":").number(t.headSeq())
                .ascii(",\"earliest_seq\":").number(t.earliestSeq())
                .ascii(",\"count\":").number(t.count())
                .ascii(",\"bytes\":").number(t.bytes())
                .ascii(",\"durable\":").bool(t.config().durable())
                .ascii(",\"durability\":").string(t.config().durability())
                .ascii(",\"effective_priority\":").number(t.effectivePriority());
        if (t.replaying()) {
            out.ascii(",\"replaying\":true"); // its counts are partial until its log is replayed
        }
        out.raw((byte) '}');
    }

    static void append(JsonOut out, AppendResult r, boolean withSeqs) {
        out.ascii("\"topic\":").string(r.topic())
                .ascii(",\"first_seq\":").number(r.firstSeq())
                .ascii(",\"last_seq\":").number(r.lastSeq());
        if (withSeqs) {
            out.ascii(",\"seqs\":[");
            for (long s = r.firstSeq(); s <= r.lastSeq(); s++) {
                if (s > r.firstSeq()) {
                    out.raw((byte) ',');
                }
                out.number(s);
            }
            out.raw((byte) ']');
        }
        out.ascii(",\"head_seq\":").number(r.headSeq())
                .ascii(",\"count\":").number(r.count())
                .ascii(",\"created\":").bool(r.created())
                .ascii(",\"deduped\":").bool(r.deduped())
                .raw((byte) ',');
    }

    static void delete(JsonOut out, DeleteResult r) {
        out.ascii("\"topic\":").string(r.topic())
                .ascii(",\"deleted\":").number(r.deleted())
                .ascii(",\"earliest_seq\":").number(r.earliestSeq())
                .ascii(",\"head_seq\":").number(r.headSeq())
                .ascii(",\"count\":").number(r.count())
                .ascii(",\"bytes\":").number(r.bytes())
                .raw((byte) ',');
    }

    /** The fields after {@code "records":[...]}. */
    static void diffTail(JsonOut out, DiffResult r) {
        out.ascii("],\"next_from_seq\":").number(r.nextFromSeq())
                .ascii(",\"head_seq\":").number(r.headSeq())
                .ascii(",\"earliest_seq\":").number(r.earliestSeq())
                .ascii(",\"caught_up\":").bool(r.caughtUp())
                .ascii(",\"tombstone\":");
        Tombstone t = r.tombstone();
        if (t == null) {
            out.nul();
        } else {
            out.ascii("{\"gap_from\":").number(t.gapFrom())
                    .ascii(",\"gap_to\":").number(t.gapTo())
                    .ascii(",\"reason\":").string(t.reason())
                    .ascii(",\"missed_estimate\":").number(t.missedEstimate())
                    .ascii(",\"earliest_seq\":").number(t.earliestSeq())
                    .ascii(",\"head_seq\":").number(t.headSeq())
                    .raw((byte) '}');
        }
        out.ascii(",\"lag\":").number(r.lag()).raw((byte) ',');
    }

    private static void nullableNumber(JsonOut out, Long v) {
        if (v == null) {
            out.nul();
        } else {
            out.number(v);
        }
    }
}
