package io.topics.tiering;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.topics.api.spi.coldtier.ColdTierException;
import io.topics.api.spi.coldtier.ColdTierStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalDirColdTierProviderTest {
    @TempDir
    Path dir;

    @Test
    void putOpenDeleteRoundTrip() throws Exception {
        Path src = Files.write(dir.resolve("src.seg"), new byte[] {1, 2, 3});
        try (ColdTierStore store = new LocalDirColdTierProvider().open(dir.resolve("cold").toUri(), Map.of())) {
            store.put("7/100.seg", src);
            store.put("7/100.seg", src); // idempotent
            assertTrue(store.exists("7/100.seg"));
            try (InputStream in = store.open("7/100.seg")) {
                assertArrayEquals(new byte[] {1, 2, 3}, in.readAllBytes());
            }
            assertTrue(store.delete("7/100.seg"));
            assertFalse(store.delete("7/100.seg"));
            assertFalse(store.exists("7/100.seg"));
            assertThrows(ColdTierException.class, () -> store.open("7/100.seg"));
        }
    }

    @Test
    void rejectsKeysThatEscapeTheRoot() throws Exception {
        try (ColdTierStore store = new LocalDirColdTierProvider().open(dir.toUri(), Map.of())) {
            assertThrows(ColdTierException.class, () -> store.exists("../etc/passwd"));
            assertThrows(ColdTierException.class, () -> store.exists("/abs"));
        }
    }
}
