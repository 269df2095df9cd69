package io.topics.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Map;

import io.topics.api.spi.auth.Principal;
import org.junit.jupiter.api.Test;

class NoAuthProviderTest {
    @Test
    void grantsFullAccessWithOrWithoutToken() {
        var auth = new NoAuthProvider().create(Map.of());
        assertFalse(auth.enabled());
        assertEquals(Principal.ANONYMOUS, auth.authenticate(null).orElseThrow());
        assertEquals(Principal.ANONYMOUS, auth.authenticate("anything").orElseThrow());
    }
}
