package io.topics.testkit.storage;

import static java.util.Objects.requireNonNull;

import io.topics.api.storage.Storage;
import io.topics.api.storage.StorageFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A {@link Storage} that passes every call to a delegate unchanged: the base of the harness's
 * wrappers ({@link FaultInjector}, {@link OrderingMonitor}), which override only the calls they
 * change. {@link #open} returns the delegate's handle as is; a wrapper that also watches the
 * handle's calls overrides it and wraps the handle in a {@link ForwardingStorageFile}. Thread
 * safety is the delegate's.
 */
public abstract class ForwardingStorage implements Storage {
    private final Storage delegate;

    protected ForwardingStorage(Storage delegate) {
        this.delegate = requireNonNull(delegate, "delegate is null");
    }

    /** The storage every call goes to. */
    protected final Storage delegate() {
        return delegate;
    }

    @Override
    public StorageFile open(Path file, boolean create) throws IOException {
        return delegate.open(file, create);
    }

    @Override
    public boolean exists(Path path) {
        return delegate.exists(path);
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        return delegate.list(dir);
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        delegate.createDirectories(dir);
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        delegate.rename(from, to);
    }

    @Override
    public void delete(Path file) throws IOException {
        delegate.delete(file);
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        delegate.forceDirectory(dir);
    }

    @Override
    public String bootId() throws IOException {
        return delegate.bootId();
    }
}
