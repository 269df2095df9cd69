package io.topics.wal.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.topics.api.spi.durability.AckPoint;
import io.topics.api.storage.RealStorage;
import io.topics.testkit.storage.StorageOp;
import io.topics.wal.FrameType;
import io.topics.wal.Wal;
import io.topics.wal.WalOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Memory stays bounded when writers outrun the disk: a shard's queue says "no room" past its bound. */
class QueueBoundTest {
    @TempDir
    Path dir;

    @Test
    void aShardsQueueIsBoundedWhileItsForceIsStuck() throws Exception {
        TapStorage tap = new TapStorage(RealStorage.INSTANCE, (id, loc) -> { });
        WalOptions tight = new WalOptions(1, 1 << 20, false, 60_000, 1000);
        ByteBuffer frame = ByteBuffer.wrap("x".repeat(200).getBytes(StandardCharsets.US_ASCII));
        try (Wal wal = Wal.start(tap, dir, tight, 0, InstantSource.fixed(Instant.EPOCH))) {
            assertTrue(wal.hasRoom(1, 5000, AckPoint.WRITTEN), "an empty queue takes even a large frame");
            TapStorage.Gate stuck = tap.hold(StorageOp.FORCE, p -> p.toString().endsWith(".wal"));
            List<CompletableFuture<Void>> acks = new ArrayList<>();
            acks.add(wal.append(FrameType.APPEND, 0, 1, 0, 0, frame.duplicate(), AckPoint.FORCED));
            stuck.awaitArrived(); // the writer now sits in a force that does not return
            int queued = 0;
            while (wal.hasRoom(1, 200, AckPoint.WRITTEN) && queued < 100) {
                acks.add(wal.append(FrameType.APPEND, 0, 1, queued + 1, 0, frame.duplicate(), AckPoint.FORCED));
                queued++;
            }
            // 64 frames always fit, however large (64 connections with a write in flight each,
            // API spec §19.8); the bound stops the 65th
            assertEquals(63, queued, "frames queued behind the stuck one");
            assertFalse(wal.hasRoom(1, 200, AckPoint.WRITTEN));
            stuck.release();
            tap.releaseAll();
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!wal.hasRoom(1, 200, AckPoint.WRITTEN) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(wal.hasRoom(1, 200, AckPoint.WRITTEN), "written rounds free their room");
        }
    }
}
