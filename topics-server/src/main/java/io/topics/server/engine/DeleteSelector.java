package io.topics.server.engine;

/**
 * Which records a delete removes (spec §8): those below {@code beforeSeq} (0 = no bound) and,
 * when {@code tag} is set, whose tag equals it ({@code tagPrefix} false) or starts with it
 * ({@code tagPrefix} true). Both parts given are ANDed; at least one is.
 */
public record DeleteSelector(long beforeSeq, String tag, boolean tagPrefix) {
    public DeleteSelector {
        if (beforeSeq < 0) {
            throw new IllegalArgumentException("beforeSeq < 0");
        }
        if (beforeSeq == 0 && tag == null) {
            throw new IllegalArgumentException("a delete needs before_seq or match");
        }
        if (tag == null && tagPrefix) {
            throw new IllegalArgumentException("a prefix match needs a tag");
        }
    }
}
