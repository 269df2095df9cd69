package io.topics.segments;

import java.io.IOException;
import java.nio.file.Path;

/** A segment or snapshot file fails its checks: never served, never treated as shorter data. */
public final class SegmentCorruptionException extends IOException {
    private final transient Path file;

    public SegmentCorruptionException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
