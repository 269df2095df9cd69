package io.topics.server.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.topics.server.engine.TestingClock;
import org.junit.jupiter.api.Test;

/** Spec §11.6: a stream whose write blocks past the deadline is cut; a slow but moving one is not. */
class WriteDeadlineTest {
    final TestingClock clock = new TestingClock(1_000);
    final WriteDeadline deadline = new WriteDeadline(clock, 30_000, false);

    /** A client that stopped reading: a write blocks until the thread is interrupted. */
    static final class StuckSocket extends OutputStream {
        final CountDownLatch entered = new CountDownLatch(1);

        @Override
        public void write(int b) throws IOException {
            entered.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                throw new InterruptedIOException("closed by interrupt");
            }
        }
    }

    @Test
    void aWriteBlockedPastTheDeadlineIsInterruptedAndOnlyThen() throws Exception {
        StuckSocket socket = new StuckSocket();
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        CompletableFuture<Boolean> interruptedAfterClose = new CompletableFuture<>();
        Thread writer = Thread.ofVirtual().start(() -> {
            WriteDeadline.Guarded out = deadline.guard(socket);
            try {
                out.write('x');
            } catch (IOException e) {
                failure.complete(e);
            }
            try {
                out.close(); // the guarded close: it may not block either, and clears the interrupt
            } catch (IOException e) {
                failure.completeExceptionally(e);
            }
            interruptedAfterClose.complete(Thread.currentThread().isInterrupted());
        });
        assertTrue(socket.entered.await(5, TimeUnit.SECONDS));
        clock.advance(29_999);
        assertEquals(0, deadline.sweep(), "not yet past the deadline");
        clock.advance(1);
        assertEquals(1, deadline.sweep());
        assertInstanceOf(InterruptedIOException.class, failure.get(5, TimeUnit.SECONDS));
        writer.join(5_000);
        assertFalse(writer.isAlive(), "the stuck close is cut as well");
        assertFalse(interruptedAfterClose.get(), "the writer thread goes back to the server uninterrupted");
        assertEquals(0, deadline.sweep(), "a closed guard is never swept again");
    }

    @Test
    void aSlowClientThatReadsIsNeverCutAndAnIdleStreamNeither() throws Exception {
        ByteArrayOutputStream socket = new ByteArrayOutputStream();
        WriteDeadline.Guarded out = deadline.guard(socket);
        for (int i = 0; i < 10; i++) {
            out.write(new byte[] {1, 2, 3}, 0, 3); // each write is quick, however long the stream lives
            out.flush();
            clock.advance(20_000);
            assertEquals(0, deadline.sweep());
        }
        clock.advance(60_000); // waiting between frames is not a stalled write
        assertEquals(0, deadline.sweep());
        out.close();
        assertFalse(Thread.currentThread().isInterrupted());
        assertEquals(30, socket.size());
    }

    @Test
    void aClientThatTakesASliceEachDeadlineIsNotCutInTheMiddleOfABigFrame() throws Exception {
        OutputStream steadyReader = new OutputStream() { // takes 64 KiB in 20 s, steadily
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                for (int done = 0; done < len; done += 16 * 1024) {
                    if (Thread.interrupted()) {
                        throw new InterruptedIOException("cut after " + done + " bytes");
                    }
                    clock.advance(5_000);
                    deadline.sweep(); // the sweeper's view of it, as it goes
                }
            }
        };
        WriteDeadline.Guarded out = deadline.guard(steadyReader);
        out.write(new byte[4 << 20]); // one 4 MiB frame: 21 minutes at this pace, never 30 s on one slice
        out.flush();
        out.close();
    }

    @Test
    void zeroMeansNever() throws Exception {
        WriteDeadline never = new WriteDeadline(clock, 0, true);
        StuckSocket socket = new StuckSocket();
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                never.guard(socket).write('x');
            } catch (IOException expected) {
                // interrupted by the test's cleanup
            }
        });
        assertTrue(socket.entered.await(5, TimeUnit.SECONDS));
        clock.advance(Long.MAX_VALUE / 4);
        assertEquals(0, never.sweep());
        assertTrue(writer.isAlive());
        writer.interrupt();
        never.close();
    }
}
