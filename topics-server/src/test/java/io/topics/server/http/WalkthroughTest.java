package io.topics.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The product introduction's walkthrough, run verbatim with the real {@code curl} binary: no
 * extra headers, so the bodies arrive as {@code application/x-www-form-urlencoded}.
 */
class WalkthroughTest {
    @TempDir
    Path dir;

    static String curl(String base, String commandLine) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", commandLine);
        pb.environment().put("TOPICS", base);
        pb.redirectErrorStream(false);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("curl failed: " + commandLine + "\n" + new String(p.getErrorStream().readAllBytes()));
        }
        return out;
    }

    @Test
    void introductionWorksVerbatimWithCurl() throws Exception {
        try (ServerFixture srv = new ServerFixture(dir, Map.of())) {
            Map<String, Object> put = TestJson.object(curl(srv.base,
                    "curl -s -X PUT $TOPICS/v0/topics/orders -d '{ \"durable\": true }'"));
            Map<?, ?> config = (Map<?, ?>) put.get("config");
            assertEquals("fsync", config.get("durability"));
            assertEquals(true, config.get("durable"));
            assertEquals(true, put.get("created"));

            Map<String, Object> write = TestJson.object(curl(srv.base, "curl -s -X POST $TOPICS/v0/topics/orders \\\n"
                    + "  -d '{ \"records\": [ { \"data\": { \"sku\": \"AEROPRESS-GO\", \"qty\": 1, \"total\": 3499 }, \"tag\": \"order-7731\" } ] }'"));
            assertEquals(List.of(1L), write.get("seqs"));
            assertEquals(1L, write.get("head_seq"));

            String diffBody = curl(srv.base, "curl -s -X POST $TOPICS/v0/topics/orders/diff -d '{ \"from_seq\": 0 }'");
            Map<String, Object> diff = TestJson.object(diffBody);
            List<?> records = (List<?>) diff.get("records");
            assertEquals(1, records.size());
            Map<?, ?> r = (Map<?, ?>) records.get(0);
            assertEquals(1L, r.get("$seq"));
            assertEquals("order-7731", r.get("$tag"));
            assertEquals(Map.of("sku", "AEROPRESS-GO", "qty", 1L, "total", 3499L), r.get("data"));
            assertEquals(1L, diff.get("next_from_seq"));
            assertEquals(true, diff.get("caught_up"));
            // the data comes back as the bytes received, compacted, keys in their original order
            assertEquals(true, diffBody.contains("\"data\":{\"sku\":\"AEROPRESS-GO\",\"qty\":1,\"total\":3499}"), diffBody);
        }
    }
}
