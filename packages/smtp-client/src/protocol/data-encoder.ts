const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const END_OF_DATA = new Uint8Array([DOT, CR, LF]);
const CRLF = new Uint8Array([CR, LF]);

/**
 * How the message is framed: `data` for the DATA command (dot-stuffing and the
 * final `.` line), `bdat` for BDAT chunks (RFC 3030: no stuffing, no terminator).
 */
export type DataFraming = 'data' | 'bdat';

/**
 * Streaming encoder for message content. Every bare CR and bare LF becomes
 * CRLF *before* dot-stuffing, so that no input — `\n.\n`, `\r.\r`, `\n.\r\n`
 * and the like — can produce an end-of-data sequence the server would read
 * differently from this client (SMTP smuggling). Lines starting with `.` get a
 * second `.` (RFC 5321 §4.5.2) in `data` framing. A CR at the end of one chunk
 * and an LF at the start of the next are one CRLF. Holds nothing but one
 * pending CR between chunks.
 */
export class DataEncoder {
  readonly #stuff: boolean;
  #pendingCr = false;
  #atLineStart = true;
  #ended = false;
  #inputBytes = 0;

  /**
   * Creates an encoder for one message.
   *
   * @param framing - `data` (default) or `bdat`
   */
  constructor(framing: DataFraming = 'data') {
    this.#stuff = framing === 'data';
  }

  /** How many message bytes were pushed so far. */
  get inputBytes(): number {
    return this.#inputBytes;
  }

  /**
   * Encodes the next chunk of the message.
   *
   * @param chunk - message bytes
   * @returns the bytes to send (possibly empty)
   */
  push(chunk: Uint8Array): Uint8Array {
    if (this.#ended) throw new Error('DataEncoder.push() after end()');
    this.#inputBytes += chunk.length;
    // Worst case: every byte is a line end or a leading dot, doubling it; plus a pending CR's pair.
    const out = new Uint8Array(chunk.length * 2 + 2);
    let o = 0;
    let pendingCr = this.#pendingCr;
    let atLineStart = this.#atLineStart;
    const stuff = this.#stuff;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (pendingCr) {
        out[o++] = CR;
        out[o++] = LF;
        atLineStart = true;
        pendingCr = false;
        if (byte === LF) continue;
      }
      if (byte === CR) {
        pendingCr = true;
      } else if (byte === LF) {
        out[o++] = CR;
        out[o++] = LF;
        atLineStart = true;
      } else {
        if (atLineStart && stuff && byte === DOT) out[o++] = DOT;
        out[o++] = byte;
        atLineStart = false;
      }
    }
    this.#pendingCr = pendingCr;
    this.#atLineStart = atLineStart;
    return out.subarray(0, o);
  }

  /**
   * Ends the message: flushes a pending CR, adds a CRLF if the message did not
   * end with a line break, and in `data` framing the terminating `.` line.
   *
   * @returns the last bytes to send
   */
  end(): Uint8Array {
    if (this.#ended) throw new Error('DataEncoder.end() called twice');
    this.#ended = true;
    const needsLineEnd = this.#pendingCr || !this.#atLineStart;
    const tail = this.#stuff ? END_OF_DATA : new Uint8Array(0);
    const out = new Uint8Array((needsLineEnd ? 2 : 0) + tail.length);
    if (needsLineEnd) out.set(CRLF, 0);
    out.set(tail, needsLineEnd ? 2 : 0);
    return out;
  }
}

/**
 * Whether bytes contain anything outside 7-bit ASCII, which needs
 * `BODY=8BITMIME` (RFC 6152).
 *
 * @param bytes - message content
 * @returns true when a byte is 0x80 or above
 */
export function hasEightBitBytes(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) >= 0x80) return true;
  return false;
}

/**
 * The size of a message as RFC 1870 counts it for `SIZE=`: after line ends are
 * normalised to CRLF (and a final CRLF added), before dot-stuffing.
 *
 * @param bytes - the message as given
 * @returns the number of octets the server will store
 */
export function normalisedSize(bytes: Uint8Array): number {
  let size = 0;
  let previous = -1;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte === LF) size += previous === CR ? 0 : 2;
    else if (byte === CR) size += 2;
    else size += 1;
    previous = byte;
  }
  // A message not ending in a line break gets a CRLF.
  if (bytes.length > 0 && previous !== LF && previous !== CR) size += 2;
  return size;
}
