import { Pop3ProtocolError } from '../errors.js';
import { parseStatusLine, type StatusLine } from './status-line.js';

/** The longest status line accepted, without its line ending (RFC 2449 §4 allows 512 octets; servers' texts vary). */
export const MAX_STATUS_LINE_BYTES = 4 * 1024;

/** The longest line accepted inside a multi-line response, without its line ending. */
export const MAX_BODY_LINE_BYTES = 64 * 1024;

/** What {@link ResponseParser.readBody} hands out. */
export type BodyEvent =
  | {
      /** Un-stuffed bytes of the multi-line response. */
      readonly type: 'data';
      /** The bytes; a view into the received chunk, valid until the next `feed`. */
      readonly bytes: Uint8Array;
    }
  | {
      /** The terminating `.CRLF` was seen; the parser expects a status line again. */
      readonly type: 'end';
    };

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const LF_DOT = Buffer.from('\n.', 'latin1');
const EMPTY = Buffer.alloc(0);

/** Where the body parser stands at a line start that began with a dot. */
const enum DotState {
  None,
  /** A line began with `.`: the terminator, or a stuffed dot. */
  Dot,
  /** A line began with `.\r`: the terminator if `\n` follows. */
  DotCr,
}

/**
 * The incremental, sans-I/O parser of POP3 server output: status lines and
 * multi-line responses with RFC 1939 dot-unstuffing as a streaming transform.
 *
 * Feed it bytes in any fragmentation; pull status lines with
 * {@link ResponseParser.readStatus}; after a `+OK` that opens a multi-line
 * response call {@link ResponseParser.beginBody} and pull
 * {@link ResponseParser.readBody} events until `end`. Body data is handed out
 * as views into the fed chunks, so un-stuffing copies nothing: the scan looks
 * for line-starting dots with `indexOf("\n.")` and checks line lengths with a
 * few `lastIndexOf` jumps per 64 KiB, both native and linear. Bytes left
 * after a response stay buffered for the next one (POP3 pipelining).
 *
 * A line starts after any LF, so a message with bare LFs round-trips when the
 * server stuffs the same way (Python's poplib reads lines the same way).
 */
export class ResponseParser {
  #pending: Buffer = EMPTY;
  #inBody = false;
  #lineStart = true;
  #lineLength = 0;
  #dotState = DotState.None;

  /**
   * Adds received bytes.
   *
   * @param bytes - the next chunk from the server
   */
  feed(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Only a partial status line (at most 4 KiB) or leftovers of a pipelined batch are ever joined.
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
  }

  /** How many fed bytes have not been handed out yet: what lies beyond the last parsed response. */
  get bufferedBytes(): number {
    return this.#pending.length;
  }

  /** True while inside a multi-line response. */
  get inBody(): boolean {
    return this.#inBody;
  }

  /** True when no partial status line or body is held: the input ended cleanly between responses. */
  get idle(): boolean {
    return !this.#inBody && this.#pending.length === 0;
  }

  /**
   * Parses the next status line, if a whole one is buffered.
   *
   * @returns the line, or `undefined` when more bytes are needed
   * @throws {@link Pop3ProtocolError} `malformed-response` or `line-too-long`
   */
  readStatus(): StatusLine | undefined {
    if (this.#inBody) {
      throw new Pop3ProtocolError('unexpected-response', 'A status line was requested in the middle of a multi-line response.');
    }
    const pending = this.#pending;
    const lf = pending.indexOf(LF);
    if (lf < 0) {
      if (pending.length > MAX_STATUS_LINE_BYTES + 1) throw statusTooLong();
      return undefined;
    }
    const end = lf > 0 && pending[lf - 1] === CR ? lf - 1 : lf;
    if (end > MAX_STATUS_LINE_BYTES) throw statusTooLong();
    this.#pending = pending.subarray(lf + 1);
    return parseStatusLine(pending.subarray(0, end));
  }

  /** Switches to the multi-line body that follows the `+OK` just read. */
  beginBody(): void {
    this.#inBody = true;
    this.#lineStart = true;
    this.#lineLength = 0;
    this.#dotState = DotState.None;
  }

  /**
   * Un-stuffs the next piece of the multi-line body.
   *
   * @returns un-stuffed bytes, the end of the response, or `undefined` when more bytes are needed
   * @throws {@link Pop3ProtocolError} `line-too-long` for a line over 64 KiB
   */
  readBody(): BodyEvent | undefined {
    if (!this.#inBody) throw new Pop3ProtocolError('unexpected-response', 'No multi-line response is being read.');
    for (;;) {
      const pending = this.#pending;
      if (pending.length === 0) return undefined;
      if (this.#dotState === DotState.Dot) {
        this.#dotState = DotState.None;
        if (pending[0] === CR) {
          this.#dotState = DotState.DotCr;
          this.#pending = pending.subarray(1);
          continue;
        }
        // A stuffed dot: dropped, but it still counts towards the line's length.
        this.#lineStart = false;
        this.#lineLength = 1;
        continue;
      }
      if (this.#dotState === DotState.DotCr) {
        this.#dotState = DotState.None;
        if (pending[0] === LF) {
          this.#pending = pending.subarray(1);
          this.#inBody = false;
          return { type: 'end' };
        }
        // `.\r` then something else: the dot was stuffing, the CR is data.
        this.#lineStart = false;
        this.#lineLength = 2;
        return { type: 'data', bytes: Uint8Array.of(CR) };
      }
      if (this.#lineStart && pending[0] === DOT) {
        this.#dotState = DotState.Dot;
        this.#pending = pending.subarray(1);
        continue;
      }
      const lineDot = pending.indexOf(LF_DOT);
      const end = lineDot < 0 ? pending.length : lineDot + 1;
      this.#checkLines(pending, end);
      this.#lineStart = pending[end - 1] === LF;
      this.#pending = pending.subarray(end);
      return { type: 'data', bytes: pending.subarray(0, end) };
    }
  }

  /**
   * Tracks line lengths over `bytes[0, end)`, which continues the current line.
   * Jumps to the last LF within each 64 KiB window, so a normal message costs a
   * handful of native scans per window rather than one step per line.
   */
  #checkLines(bytes: Buffer, end: number): void {
    let position = 0;
    let length = this.#lineLength;
    for (;;) {
      const room = MAX_BODY_LINE_BYTES + 2 - length;
      if (position + room >= end) {
        const lastLf = end > position ? bytes.lastIndexOf(LF, end - 1) : -1;
        this.#lineLength = lastLf >= position ? end - lastLf - 1 : length + end - position;
        if (this.#lineLength > MAX_BODY_LINE_BYTES + 1) throw bodyLineTooLong();
        return;
      }
      const lf = bytes.lastIndexOf(LF, position + room - 1);
      if (lf < position) throw bodyLineTooLong();
      position = lf + 1;
      length = 0;
    }
  }
}

function statusTooLong(): Pop3ProtocolError {
  return new Pop3ProtocolError(
    'line-too-long',
    `The server sent a status line longer than ${MAX_STATUS_LINE_BYTES} bytes; this is not a well-behaved POP3 server. The connection was closed.`,
  );
}

function bodyLineTooLong(): Pop3ProtocolError {
  return new Pop3ProtocolError(
    'line-too-long',
    `The server sent a line longer than ${MAX_BODY_LINE_BYTES} bytes inside a multi-line response; RFC 5322 allows 998. The connection was closed.`,
  );
}
