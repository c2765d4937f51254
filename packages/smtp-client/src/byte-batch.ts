/**
 * Collects small pieces of encoded message so that they go out in writes of a
 * useful size: a few large TCP segments instead of many small ones that Nagle's
 * algorithm and delayed ACKs would hold back, and BDAT chunks big enough that
 * waiting for each chunk's reply costs little. Bounded by its caller, which
 * empties it once {@link ByteBatch.size} reaches its threshold.
 */
export class ByteBatch {
  #pieces: Uint8Array[] = [];
  #size = 0;

  /** How many bytes are collected. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds a piece (kept by reference: the caller must not reuse its buffer).
   *
   * @param piece - bytes to send later
   */
  push(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.#pieces.push(piece);
    this.#size += piece.length;
  }

  /**
   * Empties the batch without copying: for a large write, where each piece can go out as it is.
   *
   * @returns the collected pieces, in order
   */
  takePieces(): Uint8Array[] {
    const pieces = this.#pieces;
    this.#pieces = [];
    this.#size = 0;
    return pieces;
  }

  /**
   * Empties the batch.
   *
   * @param prefix - bytes to put before the collected ones (a BDAT command line)
   * @returns the prefix and every collected piece, in one buffer
   */
  take(prefix: Uint8Array = new Uint8Array(0)): Uint8Array {
    const pieces = this.#pieces;
    const single = pieces[0];
    if (prefix.length === 0 && pieces.length === 1 && single !== undefined) {
      this.#pieces = [];
      this.#size = 0;
      return single;
    }
    const out = new Uint8Array(prefix.length + this.#size);
    out.set(prefix, 0);
    let offset = prefix.length;
    for (const piece of pieces) {
      out.set(piece, offset);
      offset += piece.length;
    }
    this.#pieces = [];
    this.#size = 0;
    return out;
  }
}
