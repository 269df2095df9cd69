package io.topics.server.wiring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import io.topics.api.TopicConfig;
import io.topics.api.spi.auth.AuthProvider;
import io.topics.api.spi.coldtier.ColdTierProvider;
import io.topics.api.spi.durability.DurabilityClassProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginRegistryTest {
    static final Path EXAMPLE_PLUGIN = Path.of("target/test-plugins/example");

    @TempDir
    Path tmp;

    @Test
    void findsEveryBuiltInProviderOnTheModulePath() {
        assertTrue(PluginRegistry.class.getModule().isNamed(), "tests run on the module path");
        PluginRegistry r = PluginRegistry.load(null);
        assertEquals(Set.of("ephemeral", "memory", "disk", "fsync"), r.durabilityClasses().keySet());
        assertEquals(Set.of("bearer", "none"), r.authProviders().keySet());
        assertEquals(Set.of("file"), r.coldTiers().keySet());
        assertEquals("io.topics.wal", r.durabilityClasses().get("fsync").getClass().getModule().getName());
        assertEquals(io.topics.api.spi.durability.AckPoint.FORCED, r.durabilityClasses().get("fsync").ackPoint());
        assertFalse(r.durabilityClasses().get("ephemeral").logsRecords());
    }

    @Test
    void unknownNamesFailWithTheListOfWhatExists() {
        PluginRegistry r = PluginRegistry.load(null);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> r.auth("ldap"));
        assertEquals("auth provider 'ldap' is not registered; available: bearer, none", e.getMessage());
        IllegalStateException cold = assertThrows(IllegalStateException.class, () -> r.coldTier("s3"));
        assertTrue(cold.getMessage().contains("available: file"), cold.getMessage());
    }

    @Test
    void loadsAPluginJarFromItsOwnLayer() throws Exception {
        assertTrue(Files.isDirectory(EXAMPLE_PLUGIN), "the build copies the example plugin to " + EXAMPLE_PLUGIN);
        Path plugins = tmp.resolve("plugins");
        copyPlugin(plugins.resolve("example"));
        PluginRegistry r = PluginRegistry.load(plugins);
        ColdTierProvider mem = r.coldTier("mem");
        Module module = mem.getClass().getModule();
        assertEquals("io.topics.plugins.example", module.getName());
        assertFalse(module.getLayer() == ModuleLayer.boot(), "a plugin gets its own layer");
        assertEquals(Set.of("file", "mem"), r.coldTiers().keySet());
        Path seg = Files.write(tmp.resolve("s"), new byte[] {1});
        try (var store = mem.open(java.net.URI.create("mem:layer-test"), Map.of())) {
            store.put("1/1.seg", seg);
            assertTrue(store.exists("1/1.seg"));
        }
    }

    @Test
    void aDuplicateNameFailsStartup() throws Exception {
        Path plugins = tmp.resolve("plugins");
        copyPlugin(plugins.resolve("a"));
        copyPlugin(plugins.resolve("b"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PluginRegistry.load(plugins));
        assertTrue(e.getMessage().startsWith("cold tier 'mem' is registered twice"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> PluginRegistry.load(tmp.resolve("missing")));
    }

    @Test
    void findsProvidersOnTheClassPathToo() throws Exception {
        // a fresh loader over the same jars, with no module graph: only META-INF/services counts.
        // Its parent is the boot loader: the platform loader would hand back the named modules.
        try (URLClassLoader cp = new URLClassLoader(jarsOf(PluginRegistry.class, TopicConfig.class,
                providerClass(DurabilityClassProvider.class), providerClass(AuthProvider.class),
                providerClass(ColdTierProvider.class)), null)) {
            Class<?> registry = cp.loadClass(PluginRegistry.class.getName());
            assertNull(registry.getModule().getName(), "loaded as an unnamed module");
            Path plugins = tmp.resolve("cp-plugins");
            copyPlugin(plugins.resolve("example"));
            Object r = registry.getMethod("load", Path.class).invoke(null, plugins);
            assertFindsEverything(r);
        }
    }

    private static void assertFindsEverything(Object registry) throws Exception {
        Method durability = registry.getClass().getMethod("durabilityClasses");
        Method auth = registry.getClass().getMethod("authProviders");
        Method cold = registry.getClass().getMethod("coldTiers");
        assertEquals(Set.of("ephemeral", "memory", "disk", "fsync"), ((Map<?, ?>) durability.invoke(registry)).keySet());
        assertEquals(Set.of("bearer", "none"), ((Map<?, ?>) auth.invoke(registry)).keySet());
        assertEquals(Set.of("file", "mem"), ((Map<?, ?>) cold.invoke(registry)).keySet(), "plugin dir via URLClassLoader");
    }

    @Test
    void servicesFilesMatchTheModuleDescriptors() throws IOException {
        for (String name : List.of("io.topics.wal", "io.topics.auth", "io.topics.tiering")) {
            Module m = ModuleLayer.boot().findModule(name).orElseThrow();
            for (ModuleDescriptor.Provides p : m.getDescriptor().provides()) {
                try (InputStream in = m.getResourceAsStream("META-INF/services/" + p.service())) {
                    assertTrue(in != null, name + " ships META-INF/services/" + p.service());
                    Set<String> listed = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                            .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(Collectors.toSet());
                    assertEquals(new TreeSet<>(p.providers()), new TreeSet<>(listed), name + " " + p.service());
                }
            }
        }
    }

    private static void copyPlugin(Path target) throws IOException {
        Files.createDirectories(target);
        try (var jars = Files.list(EXAMPLE_PLUGIN)) {
            for (Path jar : jars.toList()) {
                Files.copy(jar, target.resolve(jar.getFileName()));
            }
        }
    }

    private static <S> Class<?> providerClass(Class<S> spi) {
        return ServiceLoader.load(spi, PluginRegistry.class.getClassLoader()).stream().findFirst().orElseThrow().type();
    }

    private static URL[] jarsOf(Class<?>... classes) {
        Set<URL> urls = new HashSet<>();
        for (Class<?> c : classes) {
            urls.add(c.getProtectionDomain().getCodeSource().getLocation());
        }
        return urls.toArray(URL[]::new);
    }
}
