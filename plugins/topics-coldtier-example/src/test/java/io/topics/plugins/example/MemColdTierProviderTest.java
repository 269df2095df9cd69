package io.topics.plugins.example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.topics.api.spi.coldtier.ColdTierException;
import io.topics.api.spi.coldtier.ColdTierStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemColdTierProviderTest {
    @TempDir
    Path dir;

    @Test
    void storesWithinItsCap() throws Exception {
        Path seg = Files.write(dir.resolve("a.seg"), new byte[] {4, 5, 6});
        ColdTierStore store = new MemColdTierProvider().open(URI.create("mem:unit"), Map.of("max-bytes", "4"));
        store.put("1/1.seg", seg);
        store.put("1/1.seg", seg);
        try (InputStream in = store.open("1/1.seg")) {
            assertArrayEquals(new byte[] {4, 5, 6}, in.readAllBytes());
        }
        assertThrows(ColdTierException.class, () -> store.put("1/2.seg", seg), "over max-bytes");
        assertTrue(store.delete("1/1.seg"));
        assertFalse(store.delete("1/1.seg"));
        assertThrows(ColdTierException.class, () -> store.open("1/1.seg"));
        assertThrows(ColdTierException.class, () -> new MemColdTierProvider().open(URI.create("mem:/"), Map.of()));
    }
}
