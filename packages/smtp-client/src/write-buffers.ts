const encoder = new TextEncoder();
const NONE = new Uint8Array(0);

/**
 * Packs command lines and message bytes, as they are produced, into buffers of
 * a fixed size: a batch of many small transactions then goes out in a few large
 * writes, without an intermediate buffer per command or per message. Holds
 * everything appended until {@link WriteBuffers.take}; its caller bounds that.
 */
export class WriteBuffers {
  readonly #capacity: number;
  #filled: Uint8Array[] = [];
  #current = NONE;
  #used = 0;

  /**
   * @param capacity - the size of each buffer, and the size from which bytes are kept as they are rather than copied
   */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /**
   * Appends text as UTF-8.
   *
   * @param text - command lines with their CRLFs, already checked for stray CR, LF and NUL
   */
  text(text: string): void {
    // UTF-8 takes at most three bytes per UTF-16 code unit.
    const most = text.length * 3;
    if (most > this.#capacity) {
      this.bytes(encoder.encode(text));
      return;
    }
    if (this.#current.length - this.#used < most) this.#renew();
    // One native call per transaction's commands: a batch encodes them by the thousand, mostly before the JIT has warmed up.
    this.#used += encoder.encodeInto(text, this.#current.subarray(this.#used)).written;
  }

  /**
   * Appends bytes: copied when smaller than a buffer, else kept by reference
   * (the caller must not change them until they are sent).
   *
   * @param bytes - message bytes
   */
  bytes(bytes: Uint8Array): void {
    if (bytes.length >= this.#capacity) {
      this.#seal();
      this.#filled.push(bytes);
      return;
    }
    let offset = 0;
    while (offset < bytes.length) {
      if (this.#used === this.#current.length) this.#renew();
      const count = Math.min(bytes.length - offset, this.#current.length - this.#used);
      this.#current.set(offset === 0 && count === bytes.length ? bytes : bytes.subarray(offset, offset + count), this.#used);
      this.#used += count;
      offset += count;
    }
  }

  /**
   * Takes the buffers already full, and large bytes appended since, leaving the one being filled.
   *
   * @returns those pieces, in order; often none
   */
  takeFilled(): Uint8Array[] {
    const pieces = this.#filled;
    if (pieces.length > 0) this.#filled = [];
    return pieces;
  }

  /**
   * Empties the buffers.
   *
   * @returns everything appended, in order, in pieces of about the capacity
   */
  take(): Uint8Array[] {
    this.#seal();
    return this.takeFilled();
  }

  /** Moves the current buffer, if it holds anything, to the filled ones. */
  #seal(): void {
    if (this.#used > 0) this.#filled.push(this.#current.subarray(0, this.#used));
    this.#current = NONE;
    this.#used = 0;
  }

  /** Seals the current buffer and starts an empty one. */
  #renew(): void {
    this.#seal();
    // Every byte is written before the buffer is sent, so it need not be zeroed first; a plain
    // Uint8Array view, as a Buffer's subarray() is a JavaScript wrapper around the typed array's.
    const memory = Buffer.allocUnsafeSlow(this.#capacity);
    this.#current = new Uint8Array(memory.buffer, memory.byteOffset, memory.length);
  }
}
