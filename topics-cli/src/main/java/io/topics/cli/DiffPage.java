package io.topics.cli;

/**
 * What a load generator needs from a diff answer, without the records themselves.
 *
 * @param records how many records the answer held
 * @param nextFromSeq the cursor to send next
 * @param caughtUp whether the cursor reached the head
 */
public record DiffPage(int records, long nextFromSeq, boolean caughtUp) {
}
