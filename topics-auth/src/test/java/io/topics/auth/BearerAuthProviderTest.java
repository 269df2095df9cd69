package io.topics.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import io.topics.api.spi.auth.AuthProvider;
import io.topics.api.spi.auth.Authenticator;
import io.topics.api.spi.auth.Principal;
import io.topics.api.spi.auth.Scope;
import org.junit.jupiter.api.Test;

/** The {@code TOPICS_API_KEYS} syntax of spec §14 and how presented tokens are matched. */
class BearerAuthProviderTest {
    static Authenticator keys(String setting) {
        return new BearerAuthProvider().create(Map.of("TOPICS_API_KEYS", setting));
    }

    static Principal who(Authenticator auth, String token) {
        return auth.authenticate(token).orElseThrow(() -> new AssertionError("no principal for " + token));
    }

    @Test
    void isDeclaredAsAnAuthProvider() {
        // the server's PluginRegistryTest finds it through ServiceLoader; this module may not `uses` it
        assertTrue(BearerAuthProvider.class.getModule().getDescriptor().provides().stream()
                .anyMatch(p -> p.service().equals(AuthProvider.class.getName())
                        && p.providers().contains(BearerAuthProvider.class.getName())), "module-info provides bearer");
        assertTrue(keys("k").enabled());
    }

    @Test
    void everyEntryFormReadsAsTheSpecSays() {
        Authenticator auth = keys("full, ro:read , two:r+w:tenant42:|shared., pre::a.|b., alias:rw+del+a");
        assertEquals(new Principal("key-1", EnumSet.allOf(Scope.class), List.of()), who(auth, "full"));
        assertEquals(new Principal("key-2", Set.of(Scope.READ), List.of()), who(auth, "ro"));
        assertEquals(new Principal("key-3", Set.of(Scope.READ, Scope.WRITE), List.of("tenant42:", "shared.")),
                who(auth, "two"), "prefixes are everything after the second ':' and may hold ':'");
        assertEquals(new Principal("key-4", EnumSet.allOf(Scope.class), List.of("a.", "b.")), who(auth, "pre"),
                "an empty scopes field means every scope");
        assertEquals(EnumSet.allOf(Scope.class), who(auth, "alias").scopes());
    }

    @Test
    void everyScopeAliasMapsToItsScope() {
        Map<String, Set<Scope>> aliases = Map.of("read", Set.of(Scope.READ), "r", Set.of(Scope.READ),
                "write", Set.of(Scope.WRITE), "w", Set.of(Scope.WRITE), "delete", Set.of(Scope.DELETE),
                "d", Set.of(Scope.DELETE), "del", Set.of(Scope.DELETE), "admin", Set.of(Scope.ADMIN),
                "a", Set.of(Scope.ADMIN), "rw", Set.of(Scope.READ, Scope.WRITE));
        aliases.forEach((alias, scopes) -> assertEquals(scopes, who(keys("k:" + alias), "k").scopes(), alias));
        assertEquals(Set.of(Scope.READ), who(keys("k:READ"), "k").scopes(), "tokens are matched in any case");
    }

    @Test
    void labelsCountKeysFromOneSkippingEmptyEntries() {
        Authenticator auth = keys(" ,first,, second ,");
        assertEquals("key-1", who(auth, "first").id());
        assertEquals("key-2", who(auth, "second").id(), "whitespace around an entry is not part of the key");
    }

    @Test
    void onlyTheWholeKeyAuthenticates() {
        Authenticator auth = keys("s3cret:read,other");
        assertTrue(auth.authenticate(null).isEmpty());
        assertTrue(auth.authenticate("").isEmpty());
        assertTrue(auth.authenticate("s3cre").isEmpty());
        assertTrue(auth.authenticate("s3cret:read").isEmpty(), "the scopes are not part of the key");
        assertTrue(auth.authenticate("S3CRET").isEmpty());
        assertTrue(auth.authenticate("s3cret ").isEmpty());
        assertEquals("key-1", who(auth, "s3cret").id());
        assertEquals("key-2", who(auth, "other").id());
    }

    @Test
    void everyStoredDigestIsComparedWhicheverKeyMatches() {
        AtomicInteger comparisons = new AtomicInteger();
        ApiKeys auth = ApiKeys.parse("k1,k2,k3,k4,k5", (a, b) -> {
            comparisons.incrementAndGet();
            return MessageDigest.isEqual(a, b);
        });
        for (String token : List.of("k1", "k3", "k5", "nope")) {
            comparisons.set(0);
            auth.authenticate(token);
            assertEquals(5, comparisons.get(), "comparisons for " + token + ": no early exit on a match");
        }
        assertEquals("key-1", auth.authenticate("k1").orElseThrow().id());
    }

    @Test
    void badSettingsRefuseToStartWithoutNamingTheKey() {
        Map<String, String> refusals = Map.of(
                "topsecret:reed", "TOPICS_API_KEYS key-1 has an unknown scope \"reed\"",
                "ok,topsecret:r+:x.", "TOPICS_API_KEYS key-2 has an unknown scope \"\"",
                "topsecret:read+Zm9vYmFyYmF6cXV4cXV1eGNvcmdl", "has an unknown scope of 28 characters",
                "topsecret:rw:a.|", "TOPICS_API_KEYS key-1 has an empty prefix",
                "topsecret,:read", "TOPICS_API_KEYS key-2 has an empty key",
                "topsecret:r,topsecret:w", "TOPICS_API_KEYS key-2 repeats the key of key-1",
                " , ", "TOPICS_API_KEYS holds no key");
        refusals.forEach((setting, message) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> keys(setting), setting);
            assertTrue(e.getMessage().contains(message), setting + " -> " + e.getMessage());
            assertFalse(e.getMessage().contains("topsecret"), e.getMessage());
        });
        assertThrows(IllegalArgumentException.class, () -> new BearerAuthProvider().create(Map.of()));
    }

    @Test
    void describesAKeyByItsLabelScopesAndNames() {
        assertEquals("key-1 read+write on tenant42:*|shared.*",
                BearerAuthProvider.describe(who(keys("topsecret:rw:tenant42:|shared."), "topsecret")));
        assertEquals("key-1 read+write+delete+admin on every name", BearerAuthProvider.describe(who(keys("k"), "k")));
    }
}
