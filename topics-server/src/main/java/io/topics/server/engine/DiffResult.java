package io.topics.server.engine;

/**
 * What a diff read produced, apart from the record bytes themselves (written to the caller's
 * buffer).
 *
 * @param tombstone null unless the cursor crossed records that are gone (§7.2, §7.3)
 * @param scanned   seqs examined, including skipped ones
 */
public record DiffResult(String topic, int records, long nextFromSeq, long headSeq, long earliestSeq,
                         Tombstone tombstone, long scanned) {
    public boolean caughtUp() {
        return nextFromSeq == headSeq;
    }

    public long lag() {
        return headSeq - nextFromSeq;
    }
}
