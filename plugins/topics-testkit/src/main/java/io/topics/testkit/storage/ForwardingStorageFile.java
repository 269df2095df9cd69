package io.topics.testkit.storage;

import io.topics.api.storage.StorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A {@link StorageFile} that passes every call to a delegate handle unchanged: the handle-side
 * partner of {@link ForwardingStorage}, for wrappers that override only the calls they change.
 * Thread safety is the delegate's.
 */
public abstract class ForwardingStorageFile implements StorageFile {
    private final StorageFile delegate;

    protected ForwardingStorageFile(StorageFile delegate) {
        this.delegate = delegate;
    }

    /** The handle every call goes to. */
    protected final StorageFile delegate() {
        return delegate;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return delegate.read(dst, position);
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        delegate.write(src, position);
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public void truncate(long size) throws IOException {
        delegate.truncate(size);
    }

    @Override
    public void force() throws IOException {
        delegate.force();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
