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
   * @returns every collected piece, in one buffer (the piece itself when there is only one)
   */
  take(): Uint8Array {
    const pieces = this.takePieces();
    return pieces.length === 1 ? (pieces[0] as Uint8Array) : Buffer.concat(pieces);
  }
}
