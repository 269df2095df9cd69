package io.topics.plugins.example;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.topics.api.spi.coldtier.ColdTierException;
import io.topics.api.spi.coldtier.ColdTierProvider;
import io.topics.api.spi.coldtier.ColdTierStore;

/**
 * {@code mem:<name>}: segments held in memory, capped by {@code max-bytes} (default 64 MiB).
 * Stores opened with the same name share their content, like buckets.
 */
public final class MemColdTierProvider implements ColdTierProvider {
    private static final Map<String, Store> STORES = new ConcurrentHashMap<>();

    @Override
    public String scheme() {
        return "mem";
    }

    @Override
    public ColdTierStore open(URI location, Map<String, String> config) throws ColdTierException {
        String name = location.getSchemeSpecificPart();
        if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
            throw new ColdTierException("mem: needs a store name, e.g. mem:segments");
        }
        long max;
        try {
            max = Long.parseLong(config.getOrDefault("max-bytes", Long.toString(64L << 20)));
        } catch (NumberFormatException e) {
            throw new ColdTierException("max-bytes must be an integer", e);
        }
        return STORES.computeIfAbsent(name, n -> new Store(max));
    }

    static final class Store implements ColdTierStore {
        private final Map<String, byte[]> segments = new ConcurrentHashMap<>();
        private final long maxBytes;
        private long bytes;

        Store(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        @Override
        public void put(String key, Path source) throws ColdTierException {
            byte[] content;
            try {
                content = Files.readAllBytes(source);
            } catch (IOException e) {
                throw new ColdTierException("cannot read " + source, e);
            }
            synchronized (this) {
                byte[] old = segments.get(key);
                long next = bytes - (old == null ? 0 : old.length) + content.length;
                if (next > maxBytes) {
                    throw new ColdTierException("mem store full: " + next + " > " + maxBytes + " bytes");
                }
                segments.put(key, content);
                bytes = next;
            }
        }

        @Override
        public InputStream open(String key) throws ColdTierException {
            byte[] content = segments.get(key);
            if (content == null) {
                throw new ColdTierException("no segment " + key);
            }
            return new ByteArrayInputStream(content);
        }

        @Override
        public boolean exists(String key) {
            return segments.containsKey(key);
        }

        @Override
        public synchronized boolean delete(String key) {
            byte[] old = segments.remove(key);
            if (old != null) {
                bytes -= old.length;
            }
            return old != null;
        }

        @Override
        public void close() {
            // the content outlives one handle, like a bucket
        }
    }
}
