package io.topics.server.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import io.helidon.webserver.http.HttpRules;
import io.topics.api.ErrorCode;
import io.topics.api.TopicsException;
import io.topics.api.spi.auth.Scope;
import io.topics.server.engine.AppendResult;
import io.topics.server.engine.ConfigPatch;
import io.topics.server.engine.DeleteResult;
import io.topics.server.engine.DeleteSelector;
import io.topics.server.engine.DiffQuery;
import io.topics.server.engine.DiffResult;
import io.topics.server.engine.Engine;
import io.topics.server.engine.JsonOut;
import io.topics.server.engine.ListPage;
import io.topics.server.engine.PutResult;
import io.topics.server.engine.TopicInfo;
import io.topics.server.engine.WriteBatch;

/** The topic endpoints of spec §4 to §6 and §8: parse, call the engine, write the answer. */
final class TopicsService {
    private static final int DEFAULT_PAGE_SIZE = 100;

    private final Engine engine;
    private final Requests requests;
    private final Exchange.Context ctx;

    TopicsService(Engine engine, Requests requests, Exchange.Context ctx) {
        this.engine = engine;
        this.requests = requests;
        this.ctx = ctx;
    }

    void routing(HttpRules rules) {
        // Helidon tries routes in order: the hot ones (write, diff) first
        rules.post("/v0/topics/{topic}", Exchange.handler(ctx, Scope.WRITE, this::write))
                .post("/v0/topics/{topic}/diff", Exchange.handler(ctx, Scope.READ, this::diff))
                .get("/v0/topics", Exchange.handler(ctx, Scope.READ, this::list))
                .put("/v0/topics/{topic}", Exchange.handler(ctx, Scope.ADMIN, this::put))
                .get("/v0/topics/{topic}", Exchange.handler(ctx, Scope.READ, this::state))
                .delete("/v0/topics/{topic}", Exchange.handler(ctx, Scope.DELETE, this::delete))
                .post("/v0/topics/{topic}/delete", Exchange.handler(ctx, Scope.DELETE, this::deleteRecords));
    }

    /** Paths served here, for the 405 answers of other methods. */
    static final String[] PATHS = {"/v0/topics", "/v0/topics/{topic}", "/v0/topics/{topic}/diff",
        "/v0/topics/{topic}/delete"};

    private void put(Exchange ex) throws Exception {
        String topic = ex.name("topic");
        Exchange.Body body = ex.body();
        ConfigPatch patch = requests.config(body.bytes(), body.length());
        PutResult r = engine.putTopic(topic, patch);
        JsonOut out = new JsonOut(640);
        out.ascii("{\"topic\":").string(topic).ascii(",\"created\":").bool(r.created()).ascii(",\"config\":");
        Wire.config(out, r.config());
        out.raw((byte) ',');
        ex.send(r.created() ? 201 : 200, out);
    }

    private void state(Exchange ex) {
        String topic = ex.name("topic");
        TopicInfo info = engine.state(topic, ex.queryFlag("touch", true));
        JsonOut out = new JsonOut(768);
        out.raw((byte) '{');
        Wire.state(out, info);
        ex.send(200, out);
    }

    private void list(Exchange ex) {
        String prefix = ex.query("prefix");
        int pageSize = pageSize(ex.query("page_size"));
        String after = cursor(ex.query("cursor"));
        ListPage page = listAllowed(ex.principal().prefixes(), prefix == null ? "" : prefix, after, pageSize,
                ex.queryFlag("touch", false));
        JsonOut out = new JsonOut(128 + page.topics().size() * 160);
        out.ascii("{\"topics\":[");
        for (int i = 0; i < page.topics().size(); i++) {
            if (i > 0) {
                out.raw((byte) ',');
            }
            Wire.listEntry(out, page.topics().get(i));
        }
        out.ascii("],");
        if (page.lastName() != null) {
            JsonOut c = new JsonOut(64);
            c.ascii("{\"after\":").string(page.lastName()).raw((byte) '}');
            out.ascii("\"next_cursor\":").string(Base64.getEncoder().encodeToString(c.toByteArray())).raw((byte) ',');
        }
        ex.send(200, out);
    }

    /**
     * One page of the topics that start with {@code prefix} and with one of {@code allowed}
     * (empty: every name). The names under one prefix are one run of the sorted list, so the
     * page is read run after run from the engine: a name outside the allowlist is never read,
     * touched or counted, and pages stay full however few of the topics the caller may see.
     */
    private ListPage listAllowed(List<String> allowed, String prefix, String after, int pageSize, boolean touch) {
        List<String> runs = runs(allowed, prefix);
        List<TopicInfo> page = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            ListPage part = engine.list(runs.get(i), after, pageSize - page.size(), touch);
            page.addAll(part.topics());
            if (part.lastName() != null) {
                return new ListPage(page, part.lastName());
            }
            if (page.size() == pageSize) {
                for (String later : runs.subList(i + 1, runs.size())) {
                    if (!engine.list(later, after, 1, false).topics().isEmpty()) {
                        return new ListPage(page, page.getLast().topic());
                    }
                }
                return new ListPage(page, null);
            }
        }
        return new ListPage(page, null);
    }

    /**
     * The name prefixes whose runs hold exactly the names under both {@code prefix} and one of
     * {@code allowed}: sorted, none a prefix of another, so the runs are disjoint and in order.
     */
    static List<String> runs(List<String> allowed, String prefix) {
        if (allowed.isEmpty()) {
            return List.of(prefix);
        }
        List<String> both = new ArrayList<>();
        for (String a : allowed) {
            if (a.startsWith(prefix)) {
                both.add(a);
            } else if (prefix.startsWith(a)) {
                both.add(prefix);
            }
        }
        both.sort(null);
        List<String> runs = new ArrayList<>();
        for (String p : both) {
            // a prefix sorts right before the names it covers, so only the last run kept can cover p
            if (runs.isEmpty() || !p.startsWith(runs.getLast())) {
                runs.add(p);
            }
        }
        return runs;
    }

    private void delete(Exchange ex) {
        String topic = ex.name("topic");
        boolean deleted = engine.deleteTopic(topic, ex.queryFlag("if_empty", false));
        JsonOut out = new JsonOut(128);
        out.ascii("{\"topic\":").string(topic).ascii(",\"deleted\":").bool(deleted).ascii(",\"routers_removed\":[],");
        ex.send(200, out);
    }

    private void deleteRecords(Exchange ex) throws Exception {
        String topic = ex.name("topic");
        Exchange.Body body = ex.body();
        DeleteSelector sel = requests.delete(body.bytes(), body.length());
        DeleteResult r = engine.deleteRecords(topic, sel);
        JsonOut out = new JsonOut(192);
        out.raw((byte) '{');
        Wire.delete(out, r);
        ex.send(200, out);
    }

    private void write(Exchange ex) throws Exception {
        String topic = ex.name("topic");
        Exchange.Body body = ex.body();
        WriteBatch batch = requests.write(body.bytes(), body.length(), ex.header("Idempotency-Key"));
        if (batch.createConfig() != null && !ex.principal().has(Scope.ADMIN)) {
            if (!engine.exists(topic)) {
                throw new TopicsException(ErrorCode.FORBIDDEN, "creating a topic with config needs the admin scope",
                        Map.of("scope", "admin"));
            }
            // ignored on an existing topic anyway; dropped so a delete racing this write cannot
            // let it create the topic with a config its key may not set
            batch.createConfig(null);
        }
        AppendResult r = engine.append(topic, batch);
        boolean withSeqs = ex.queryFlag("return_seqs", true);
        JsonOut out = new JsonOut(192 + (withSeqs ? r.count() * 8 : 0));
        out.raw((byte) '{');
        Wire.append(out, r, withSeqs);
        ex.send(r.created() ? 201 : 200, out);
    }

    private void diff(Exchange ex) throws Exception {
        String topic = ex.name("topic");
        Exchange.Body body = ex.body();
        DiffQuery q = requests.diff(body.bytes(), body.length());
        JsonOut out = new JsonOut(4096);
        out.ascii("{\"topic\":").string(topic).ascii(",\"records\":[");
        DiffResult r = engine.diff(topic, q, out);
        Wire.diffTail(out, r);
        ex.recordsScanned(r.scanned());
        ex.send(200, out);
    }

    private static int pageSize(String v) {
        if (v == null) {
            return DEFAULT_PAGE_SIZE;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 1) {
                throw TopicsException.invalid("page_size must be at least 1");
            }
            return (int) Math.min(n, 1000);
        } catch (NumberFormatException e) {
            throw TopicsException.invalid("page_size must be an integer");
        }
    }

    /** Decodes {@code base64({"after":"<name>"})}; anything else is 400. */
    private static String cursor(String v) {
        if (v == null || v.isEmpty()) {
            return null;
        }
        try {
            byte[] json = Base64.getDecoder().decode(v);
            String s = new String(json, StandardCharsets.UTF_8);
            String prefix = "{\"after\":\"";
            if (!s.startsWith(prefix) || !s.endsWith("\"}")) {
                throw TopicsException.invalid("corrupt cursor");
            }
            String name = s.substring(prefix.length(), s.length() - 2);
            if (!io.topics.api.Names.isTopicName(name)) {
                throw TopicsException.invalid("corrupt cursor");
            }
            return name;
        } catch (IllegalArgumentException e) {
            throw TopicsException.invalid("corrupt cursor");
        }
    }
}
