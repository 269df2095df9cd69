package io.topics.server.engine;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

import io.topics.api.spi.durability.AckPoint;
import io.topics.wal.FrameType;
import io.topics.wal.Wal;
import io.topics.wal.WalFailedException;

/** The engine's journal on the sharded WAL. Attached once replay is done. */
public final class WalJournal implements Journal {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private volatile Wal wal;

    /** Starts journaling into {@code started}; until then every call fails. */
    public void attach(Wal started) {
        this.wal = started;
    }

    public Wal wal() {
        return wal;
    }

    @Override
    public CompletableFuture<Void> append(long topicId, long firstSeq, long ts, ByteBuffer records, AckPoint ack) {
        return frame(FrameType.APPEND, topicId, firstSeq, ts, records, ack);
    }

    @Override
    public CompletableFuture<Void> topicCreated(long topicId, long ts, ByteBuffer nameAndConfig) {
        return frame(FrameType.TOPIC_CREATE, topicId, 0, ts, nameAndConfig, AckPoint.FORCED);
    }

    @Override
    public CompletableFuture<Void> topicConfigured(long topicId, long ts, ByteBuffer config) {
        return frame(FrameType.TOPIC_CONFIG, topicId, 0, ts, config, AckPoint.FORCED);
    }

    @Override
    public CompletableFuture<Void> topicDeleted(long topicId, long ts) {
        return frame(FrameType.TOPIC_DELETE, topicId, 0, ts, EMPTY, AckPoint.FORCED);
    }

    @Override
    public CompletableFuture<Void> mark(Mark mark, long topicId, long seq, long ts) {
        FrameType type = switch (mark) {
            case RESERVE_HEAD -> FrameType.RESERVE_HEAD;
            case RESERVE_TAIL -> FrameType.RESERVE_TAIL;
            case TAIL_SETTLED -> FrameType.TAIL_SETTLED;
            case TTL_FLOOR -> FrameType.TTL_FLOOR;
            case CAP_FLOOR -> FrameType.CAP_FLOOR;
        };
        return frame(type, topicId, seq, ts, EMPTY, AckPoint.FORCED);
    }

    @Override
    public CompletableFuture<Void> lostRange(long topicId, long from, long to, long ts) {
        return frame(FrameType.LOST_RANGE, topicId, to, ts, Codec.lostRange(from), AckPoint.FORCED);
    }

    @Override
    public CompletableFuture<Void> recordsDeleted(long topicId, long ts, ByteBuffer delete, AckPoint ack) {
        return frame(FrameType.DELETE, topicId, 0, ts, delete, ack);
    }

    @Override
    public boolean refusing() {
        Wal w = wal;
        return w == null || w.failed();
    }

    @Override
    public boolean hasRoom(long topicId, long payloadBytes, AckPoint ack) {
        Wal w = wal;
        return w == null || w.hasRoom(topicId, payloadBytes, ack);
    }

    @Override
    public long nextLsn() {
        Wal w = wal;
        return w == null ? 0 : w.nextLsn();
    }

    @Override
    public void truncateBefore(long lsn) throws java.io.IOException {
        Wal w = wal;
        if (w != null) {
            w.truncateBefore(lsn);
        }
    }

    private CompletableFuture<Void> frame(FrameType type, long topicId, long seq, long ts, ByteBuffer payload,
                                          AckPoint ack) {
        Wal w = wal;
        if (w == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("the journal is not open yet"));
        }
        try {
            return w.append(type, 0, topicId, seq, ts, payload, ack);
        } catch (WalFailedException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
