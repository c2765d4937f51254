import { firstChange, firstChangeBetween } from './content-scan.js';

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const END_OF_DATA = new Uint8Array([DOT, CR, LF]);
const CRLF = new Uint8Array([CR, LF]);
const LF_ONLY = new Uint8Array([LF]);
const EMPTY = new Uint8Array(0);
/** Runs of unchanged bytes shorter than this are copied, and looked through after a change, byte by byte: cheaper than a view of them. */
const SHORT_RUN = 128;

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
 * and an LF at the start of the next are one CRLF. Holds no bytes between
 * chunks: a CR ending a chunk is passed on, and its LF added by the next push
 * (or by `end()`) when the next byte is not one.
 *
 * Content that needs no change (CRLF lines, and in `data` framing no line
 * starting with a dot) is returned as the very chunk pushed, found with a SIMD
 * scan (`content-scan.ts`): most mail is like that, and copying or looping over
 * it byte by byte would cost more than sending it. Other content is copied run
 * by run, the same scan finding where each run ends.
 */
export class DataEncoder {
  readonly #stuff: boolean;
  /** The last byte pushed; a message starts at the start of a line. */
  #previous = LF;
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
   * @param chunk - message bytes; when returned unchanged it is the same object, so do not reuse its buffer until sent
   * @returns the bytes to send (possibly empty, possibly `chunk` itself)
   */
  push(chunk: Uint8Array): Uint8Array {
    if (this.#ended) throw new Error('DataEncoder.push() after end()');
    const length = chunk.length;
    if (length === 0) return chunk;
    this.#inputBytes += length;
    const previous = this.#previous;
    // The last byte alone says whether the next chunk starts a line or completes a CRLF.
    this.#previous = chunk[length - 1] as number;
    const stuff = this.#stuff;
    let change = firstChange(chunk, previous, stuff);
    if (change === length) return chunk;
    // Worst case after the clean prefix: every byte is a line end or a leading dot, doubling it; plus a CR's missing LF.
    const out = new Uint8Array(change + (length - change) * 2 + 1);
    let o = 0;
    let from = 0;
    // Bytes between changes are copied as they are: a change only inserts bytes before its own.
    while (change < length) {
      o = copyRun(chunk, from, change, out, o);
      const before = change === 0 ? previous : (chunk[change - 1] as number);
      const byte = chunk[change] as number;
      if (before === CR) {
        // A bare CR gets its LF, so the byte after it starts a line.
        out[o++] = LF;
        if (stuff && byte === DOT) out[o++] = DOT;
      } else if (byte === LF) {
        out[o++] = CR;
      } else {
        // The only other change: a dot starting a line, in DATA framing.
        out[o++] = DOT;
      }
      from = change;
      // The next change is often close (every line end of LF-only text): the bytes just after are looked at here, without the scan's call and views.
      const near = Math.min(length, change + 1 + SHORT_RUN);
      change = firstChangeBetween(chunk, previous, change + 1, near, stuff);
      if (change === near && near < length) change = near + firstChange(chunk.subarray(near), chunk[near - 1] as number, stuff);
    }
    o = copyRun(chunk, from, length, out, o);
    return out.subarray(0, o);
  }

  /**
   * Ends the message: completes a CR left by the last chunk, adds a CRLF if the
   * message did not end with a line break, and in `data` framing the terminating `.` line.
   *
   * @returns the last bytes to send
   */
  end(): Uint8Array {
    if (this.#ended) throw new Error('DataEncoder.end() called twice');
    this.#ended = true;
    const lineEnd = this.#previous === CR ? LF_ONLY : this.#previous === LF ? EMPTY : CRLF;
    const tail = this.#stuff ? END_OF_DATA : EMPTY;
    const out = new Uint8Array(lineEnd.length + tail.length);
    out.set(lineEnd, 0);
    out.set(tail, lineEnd.length);
    return out;
  }
}

/** Copies `chunk[from..to)` into `out` at `o`, and returns where the copy ends in `out`. */
function copyRun(chunk: Uint8Array, from: number, to: number, out: Uint8Array, o: number): number {
  if (to - from < SHORT_RUN) {
    for (let i = from; i < to; i++) out[o++] = chunk[i] as number;
    return o;
  }
  out.set(chunk.subarray(from, to), o);
  return o + to - from;
}

/**
 * The size of a message as RFC 1870 counts it for `SIZE=`: after line ends are
 * normalised to CRLF (and a final CRLF added), before dot-stuffing.
 *
 * @param bytes - the message as given
 * @returns the number of octets the server will store
 */
export function normalisedSize(bytes: Uint8Array): number {
  const length = bytes.length;
  if (length > 0 && firstChange(bytes, LF, false) === length) {
    // Already CRLF throughout: only a missing final line end is added.
    const last = bytes[length - 1] as number;
    return length + (last === LF ? 0 : last === CR ? 1 : 2);
  }
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
