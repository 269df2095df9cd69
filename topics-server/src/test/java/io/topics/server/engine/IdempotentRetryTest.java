package io.topics.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.topics.api.ErrorCode;
import io.topics.api.TopicsException;
import io.topics.api.spi.durability.AckPoint;
import org.junit.jupiter.api.Test;

/**
 * A retry with the same idempotency key while the first call is still committing answers
 * only once that commit is known: the seqs when it succeeded, an error when it failed.
 */
class IdempotentRetryTest {
    /** A journal whose record appends wait until the test completes them; everything else commits at once. */
    static final class HeldJournal extends Journal.Immediate {
        final CompletableFuture<Void> held = new CompletableFuture<>();
        volatile boolean failed;

        @Override
        public CompletableFuture<Void> append(long topicId, long firstSeq, long ts, ByteBuffer records, AckPoint ack) {
            return held;
        }

        @Override
        public boolean refusing() {
            return failed;
        }
    }

    final HeldJournal journal = new HeldJournal();
    final Engine engine = new Engine(new TestingClock(1_000), EngineLimits.DEFAULTS, DurableEngineTest.CLASSES, journal);

    CompletableFuture<AppendResult> appendAsync(String key) {
        return CompletableFuture.supplyAsync(() -> engine.append("t", EngineTest.batch("1").idempotencyKey(key)),
                r -> Thread.ofVirtual().start(r));
    }

    static void assertStillWaiting(CompletableFuture<?> f) throws Exception {
        try {
            f.get(200, TimeUnit.MILLISECONDS);
            fail("answered before the first call committed");
        } catch (TimeoutException expected) {
            // still waiting, as it should
        }
    }

    @Test
    void aRetryWaitsForTheFirstCommitAndGetsItsSeqs() throws Exception {
        engine.putTopic("t", DurableEngineTest.durability("disk"));
        CompletableFuture<AppendResult> first = appendAsync("k");
        while (engine.state("t", false).headSeq() == 0 && !first.isDone() && !filled()) {
            Thread.sleep(1);
        }
        CompletableFuture<AppendResult> retry = appendAsync("k");
        assertStillWaiting(retry);
        journal.held.complete(null);
        AppendResult a = first.get(5, TimeUnit.SECONDS);
        AppendResult b = retry.get(5, TimeUnit.SECONDS);
        assertFalse(a.deduped());
        assertTrue(b.deduped());
        assertEquals(a.firstSeq(), b.firstSeq());
        assertEquals(1, engine.state("t", false).count());
    }

    @Test
    void aRetryOfAWriteWhoseCommitFailedIsAnErrorNotASuccess() throws Exception {
        engine.putTopic("t", DurableEngineTest.durability("disk"));
        CompletableFuture<AppendResult> first = appendAsync("k");
        while (!filled()) {
            Thread.sleep(1);
        }
        CompletableFuture<AppendResult> retry = appendAsync("k");
        assertStillWaiting(retry);
        journal.failed = true;
        journal.held.completeExceptionally(new java.io.IOException("force failed"));
        for (CompletableFuture<AppendResult> f : java.util.List.of(first, retry)) {
            try {
                f.get(5, TimeUnit.SECONDS);
                fail("a failed commit answered success");
            } catch (ExecutionException e) {
                TopicsException te = (TopicsException) e.getCause();
                assertEquals(ErrorCode.NOT_READY, te.code());
                assertEquals("storage_failed", te.detail().get("reason"));
            }
        }
        assertEquals(0, engine.state("t", false).count(), "nothing of the failed write is readable");
    }

    /** Whether the first call has taken its seq (filled, not yet published). */
    private boolean filled() {
        for (Topic t : engine.topics()) {
            if (t.name.equals("t")) {
                return t.log.filled() >= 1;
            }
        }
        return false;
    }
}
