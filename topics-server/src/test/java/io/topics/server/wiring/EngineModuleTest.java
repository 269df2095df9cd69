package io.topics.server.wiring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EngineModuleTest {
    @Test
    void liveBytesAreCappedBelowWhatTheJvmCanHold() {
        long gib = 1L << 30;
        assertEquals((long) (10 * gib * 0.4), EngineModule.inMemoryCap(0, 10 * gib), "0 still gets the memory ceiling");
        assertEquals(gib, EngineModule.inMemoryCap(gib, 10 * gib), "a smaller configured cap wins");
        assertEquals((long) (10 * gib * 0.4), EngineModule.inMemoryCap(100 * gib, 10 * gib));
    }
}
