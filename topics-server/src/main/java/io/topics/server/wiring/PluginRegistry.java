package io.topics.server.wiring;

import java.io.IOException;
import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.topics.api.spi.auth.AuthProvider;
import io.topics.api.spi.coldtier.ColdTierProvider;
import io.topics.api.spi.durability.DurabilityClassProvider;

/**
 * The one place that calls {@link ServiceLoader}: finds every durability class, cold tier and
 * auth provider, built in (module path or class path) or dropped into the plugins directory
 * (one sub-directory per plugin, each in its own module layer or class loader). Names must be
 * unique; a duplicate or an unknown name fails start-up with a message listing what exists.
 */
public final class PluginRegistry {
    private static final Logger LOG = Logger.getLogger(PluginRegistry.class.getName());

    private final Map<String, DurabilityClassProvider> durability;
    private final Map<String, ColdTierProvider> coldTiers;
    private final Map<String, AuthProvider> auth;

    private PluginRegistry(Map<String, DurabilityClassProvider> durability, Map<String, ColdTierProvider> coldTiers,
                           Map<String, AuthProvider> auth) {
        this.durability = Collections.unmodifiableMap(durability);
        this.coldTiers = Collections.unmodifiableMap(coldTiers);
        this.auth = Collections.unmodifiableMap(auth);
    }

    /** Loads the built-in providers and, when {@code pluginsDir} is not null, every plugin in it. */
    public static PluginRegistry load(Path pluginsDir) {
        List<Source> sources = new ArrayList<>();
        sources.add(new Source("built-in", new Finder() {
            @Override
            public <S> List<S> find(Class<S> spi) {
                return ServiceLoader.load(spi, PluginRegistry.class.getClassLoader()).stream()
                        .map(ServiceLoader.Provider::get).toList();
            }
        }));
        if (pluginsDir != null) {
            sources.addAll(pluginSources(pluginsDir));
        }
        return new PluginRegistry(
                index(sources, DurabilityClassProvider.class, DurabilityClassProvider::name, "durability class"),
                index(sources, ColdTierProvider.class, ColdTierProvider::scheme, "cold tier"),
                index(sources, AuthProvider.class, AuthProvider::name, "auth provider"));
    }

    public Map<String, DurabilityClassProvider> durabilityClasses() {
        return durability;
    }

    public Map<String, ColdTierProvider> coldTiers() {
        return coldTiers;
    }

    public Map<String, AuthProvider> authProviders() {
        return auth;
    }

    /** The auth provider called {@code name}, or a start-up failure naming what is available. */
    public AuthProvider auth(String name) {
        return select(auth, name, "auth provider");
    }

    /** The cold tier for URI scheme {@code scheme}, or a start-up failure naming what is available. */
    public ColdTierProvider coldTier(String scheme) {
        return select(coldTiers, scheme, "cold tier");
    }

    private static <T> T select(Map<String, T> providers, String name, String kind) {
        T p = providers.get(name);
        if (p == null) {
            throw new IllegalStateException(kind + " '" + name + "' is not registered; available: "
                    + String.join(", ", providers.keySet()));
        }
        return p;
    }

    /** Finds providers of one SPI in one place. */
    private interface Finder {
        <S> List<S> find(Class<S> spi);
    }

    private record Source(String where, Finder finder) {
    }

    private static <S> Map<String, S> index(List<Source> sources, Class<S> spi, Function<S, String> name, String kind) {
        Map<String, S> byName = new TreeMap<>();
        Map<String, String> origin = new TreeMap<>();
        for (Source source : sources) {
            for (S provider : source.finder().find(spi)) {
                String n = name.apply(provider);
                S previous = byName.putIfAbsent(n, provider);
                if (previous != null) {
                    throw new IllegalStateException(kind + " '" + n + "' is registered twice: "
                            + previous.getClass().getName() + " (" + origin.get(n) + ") and "
                            + provider.getClass().getName() + " (" + source.where() + ")");
                }
                origin.put(n, source.where());
                if (!source.where().equals("built-in")) {
                    LOG.info(() -> "Registering " + kind + " '" + n + "' from " + source.where());
                }
            }
        }
        return byName;
    }

    private static List<Source> pluginSources(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("plugins directory " + dir + " does not exist");
        }
        List<Source> sources = new ArrayList<>();
        try (Stream<Path> subdirs = Files.list(dir)) {
            for (Path sub : subdirs.filter(Files::isDirectory).sorted().toList()) {
                List<Path> jars = jars(sub);
                if (!jars.isEmpty()) {
                    sources.add(new Source(sub.toString(), PluginRegistry.class.getModule().isNamed()
                            ? layerFinder(jars) : loaderFinder(jars)));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read plugins directory " + dir, e);
        }
        return sources;
    }

    private static List<Path> jars(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
    }

    /** Module path: the plugin's jars become one module layer over the boot layer. */
    private static Finder layerFinder(List<Path> jars) {
        ModuleFinder finder = ModuleFinder.of(jars.toArray(Path[]::new));
        Set<String> roots = finder.findAll().stream().map(r -> r.descriptor().name()).collect(Collectors.toSet());
        ModuleLayer boot = ModuleLayer.boot();
        Configuration cf = boot.configuration().resolveAndBind(ModuleFinder.of(), finder, roots);
        ModuleLayer layer = boot.defineModulesWithOneLoader(cf, ClassLoader.getSystemClassLoader());
        return new Finder() {
            @Override
            public <S> List<S> find(Class<S> spi) {
                return ServiceLoader.load(layer, spi).stream()
                        .filter(p -> p.type().getModule().getLayer() == layer)
                        .map(ServiceLoader.Provider::get).toList();
            }
        };
    }

    /** Class path: the plugin's jars get their own loader; only services defined by it count. */
    private static Finder loaderFinder(List<Path> jars) {
        URL[] urls = jars.stream().map(p -> {
            try {
                return p.toUri().toURL();
            } catch (MalformedURLException e) {
                throw new IllegalStateException(e);
            }
        }).toArray(URL[]::new);
        URLClassLoader loader = new URLClassLoader(urls, PluginRegistry.class.getClassLoader());
        return new Finder() {
            @Override
            public <S> List<S> find(Class<S> spi) {
                return ServiceLoader.load(spi, loader).stream()
                        .filter(p -> p.type().getClassLoader() == loader)
                        .map(ServiceLoader.Provider::get).toList();
            }
        };
    }
}
