package io.topics.segments;

/**
 * What the engine remembers of a sealed segment, and what a snapshot lists: enough to check
 * the file at recovery and to route reads without opening it.
 *
 * @param firstSeq     seq of the first record
 * @param lastSeq      seq of the last record
 * @param count        records held (seqs may skip inside a segment)
 * @param payloadBytes data and meta bytes of the records
 * @param fileBytes    length of the sealed file
 */
public record SegmentInfo(long firstSeq, long lastSeq, long count, long payloadBytes, long fileBytes) {
}
