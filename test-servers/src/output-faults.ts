/**
 * How a fake server mangles the timing and framing of what it sends, to prove
 * that clients parse incrementally and enforce their deadlines.
 */
export interface OutputFaults {
  /** Wait this many milliseconds before each write. */
  delayMs?: number;
  /**
   * Split each write at these byte offsets, sending every piece as its own TCP
   * segment (a pause of two event-loop turns between them), e.g. `[1, 3]`.
   */
  splitAt?: readonly number[];
  /** Split each write into pieces of this many bytes. */
  chunkSize?: number;
  /** Send one byte at a time, this many milliseconds apart. */
  dripMs?: number;
}

/**
 * Cuts one write into the pieces the faults ask for.
 *
 * @param bytes - what is to be sent
 * @param faults - the framing faults
 * @returns the pieces, in order, together making up `bytes`
 */
export function splitForFaults(bytes: Uint8Array, faults: OutputFaults): Uint8Array[] {
  if (faults.dripMs !== undefined) return Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
  const cuts = new Set<number>();
  for (const offset of faults.splitAt ?? []) if (offset > 0 && offset < bytes.length) cuts.add(offset);
  if (faults.chunkSize !== undefined && faults.chunkSize > 0) {
    for (let offset = faults.chunkSize; offset < bytes.length; offset += faults.chunkSize) cuts.add(offset);
  }
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}
