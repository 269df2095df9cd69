package io.topics.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.Map;
import java.util.Set;

import io.topics.server.watch.WatchOptions;
import io.topics.server.watch.WatchSession;
import io.topics.server.watch.WatchSessions;
import io.topics.server.watch.WatchStream;
import org.junit.jupiter.api.Test;

/** Waiting readers leave nothing on a topic's signal once they stop waiting, however quiet the topic. */
class AppendSignalTest {
    /** A client that takes one heartbeat, then is gone. */
    static final class DyingSocket extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (new String(b, off, len, StandardCharsets.UTF_8).startsWith(": hb")) {
                throw new IOException("client gone");
            }
        }
    }

    @Test
    void streamsThatEndWhileWaitingOnQuietTopicsLeaveNoListeners() throws Exception {
        Engine engine = new Engine(InstantSource.system(), EngineLimits.DEFAULTS, EngineTest.CLASSES);
        engine.append("quiet", EngineTest.batch("1"));
        engine.append("quiet2", EngineTest.batch("1"));
        WatchSessions sessions = new WatchSessions(InstantSource.system(), 0).ticking(5);
        WatchOptions heartbeatAtOnce = new WatchOptions(Set.of(), 256, 262_144, 1, true, true, true, false);
        WatchSession s = sessions.create(null, heartbeatAtOnce, Map.of("quiet", 1L, "quiet2", 1L));
        for (int i = 0; i < 200; i++) {
            WatchSessions.Stream st = sessions.open(s.wid());
            try {
                assertThrows(IOException.class, () -> new WatchStream(engine, sessions, st, new DyingSocket(),
                        InstantSource.system()).run(null));
            } finally {
                sessions.closed(st);
            }
        }
        sessions.close();
        var topics = Engine.class.getDeclaredField("topics");
        topics.setAccessible(true);
        @SuppressWarnings("unchecked")
        Map<String, Topic> all = (Map<String, Topic>) topics.get(engine);
        assertEquals(0, all.get("quiet").signal.listeners());
        assertEquals(0, all.get("quiet2").signal.listeners());
    }
}
