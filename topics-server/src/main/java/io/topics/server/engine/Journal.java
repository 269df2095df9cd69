package io.topics.server.engine;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

import io.topics.api.spi.durability.AckPoint;

/**
 * Where the engine makes its state changes durable, in the order it calls these methods for
 * one topic. Futures complete when the change is committed as asked and fail when it cannot
 * be; a failed journal refuses everything afterwards.
 */
public interface Journal {
    /** A batch of records ({@link Codec#records} format) starting at {@code firstSeq}. */
    CompletableFuture<Void> append(long topicId, long firstSeq, long ts, ByteBuffer records, AckPoint ack);

    /** Topic lifecycle and config frames ({@link Codec} formats); always forced. */
    CompletableFuture<Void> topicCreated(long topicId, long ts, ByteBuffer nameAndConfig);

    CompletableFuture<Void> topicConfigured(long topicId, long ts, ByteBuffer config);

    CompletableFuture<Void> topicDeleted(long topicId, long ts);

    /** What a {@link #mark} says of a topic's seqs up to the one it names. */
    enum Mark {
        /** They may have been handed out to unlogged writes and must never be reused. */
        RESERVE_HEAD,
        /** They may be handed out to writes a crash can lose (memory, disk). */
        RESERVE_TAIL,
        /** A clean stop: none after it stands for a lost write. */
        TAIL_SETTLED,
        /** The live records up to it expired by TTL. */
        TTL_FLOOR,
        /** The live records up to it were evicted by a cap. */
        CAP_FLOOR
    }

    /** A mark on the topic's seqs up to {@code seq}; always forced. */
    CompletableFuture<Void> mark(Mark mark, long topicId, long seq, long ts);

    /** A crash lost the topic's seqs {@code from..to}; always forced. */
    CompletableFuture<Void> lostRange(long topicId, long from, long to, long ts);

    /** A record delete ({@link Codec#delete} format), committed like the topic's records. */
    CompletableFuture<Void> recordsDeleted(long topicId, long ts, ByteBuffer delete, AckPoint ack);

    /** True when writes cannot be accepted (a failed or closed journal). */
    boolean refusing();

    /** Whether a batch of {@code payloadBytes} for the topic, acked at {@code ack}, fits the journal's bounded queue now. */
    boolean hasRoom(long topicId, long payloadBytes, AckPoint ack);

    /** A position at or below the lsn of the next change journaled: where a checkpoint says replay starts. */
    long nextLsn();

    /** Drops journal files holding only changes below {@code lsn}, which a checkpoint has made redundant. */
    void truncateBefore(long lsn) throws java.io.IOException;

    /** Keeps nothing: every change is "committed" at once. For in-memory engines and benchmarks. */
    Journal NONE = new Immediate();

    /** A journal that keeps nothing and commits every change at once; tests extend it to hold or fail some. */
    class Immediate implements Journal {
        private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

        @Override
        public CompletableFuture<Void> append(long topicId, long firstSeq, long ts, ByteBuffer records, AckPoint ack) {
            return DONE;
        }

        @Override
        public CompletableFuture<Void> topicCreated(long topicId, long ts, ByteBuffer nameAndConfig) {
            return DONE;
        }

        @Override
        public CompletableFuture<Void> topicConfigured(long topicId, long ts, ByteBuffer config) {
            return DONE;
        }

        @Override
        public CompletableFuture<Void> topicDeleted(long topicId, long ts) {
            return DONE;
        }

        @Override
        public CompletableFuture<Void> mark(Mark mark, long topicId, long seq, long ts) {
            return DONE;
        }

        @Override
        public CompletableFuture<Void> lostRange(long topicId, long from, long to, long ts) {
            return DONE;
        }

        @Override
        public CompletableFuture<Void> recordsDeleted(long topicId, long ts, ByteBuffer delete, AckPoint ack) {
            return DONE;
        }

        @Override
        public boolean refusing() {
            return false;
        }

        @Override
        public boolean hasRoom(long topicId, long payloadBytes, AckPoint ack) {
            return true;
        }

        @Override
        public long nextLsn() {
            return 0;
        }

        @Override
        public void truncateBefore(long lsn) {
        }
    }
}
