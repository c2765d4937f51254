import { Pop3ProtocolError } from '../errors.js';
import { parseStatusLine, type StatusLine } from './status-line.js';

/** The longest status line accepted, without its line ending (RFC 2449 §4 allows 512 octets; servers' texts vary). */
export const MAX_STATUS_LINE_BYTES = 4 * 1024;

/** The longest line accepted inside a multi-line response, without its line ending. */
export const MAX_BODY_LINE_BYTES = 64 * 1024;

/** What {@link ResponseParser.readBody} hands out: at most one `data` event per call, then `end`. */
export type BodyEvent =
  | {
      /** Un-stuffed bytes of the multi-line response. */
      readonly type: 'data';
      /** The bytes: a view into the fed chunk, un-stuffed in place. */
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
const LF_DOT_CRLF = Buffer.from('\n.\r\n', 'latin1');
const EMPTY = Buffer.alloc(0);
/** A line-starting dot within this many bytes of the last marks dense dots. */
const DENSE_GAP = 512;
/** How many lines the dense scan steps through before going back to the two-byte search. */
const DENSE_PROBE_LINES = 16;

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
 * as views into the fed chunks, un-stuffed in place (a stuffed dot is removed
 * by moving the following run left with `copyWithin`), so nothing is
 * allocated or concatenated per message. Line-starting dots are found with
 * `indexOf("\n.")`, line lengths checked with a few `lastIndexOf` jumps per
 * 64 KiB: native and linear. Bytes left after a response stay buffered for
 * the next one (POP3 pipelining).
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
  #terminated = false;
  #denseDots = false;

  /**
   * Adds received bytes. The parser takes them over: it removes stuffing dots
   * by moving bytes within the chunk, so pass a copy if you need them intact.
   *
   * @param bytes - the next chunk from the server
   */
  feed(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const chunk = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
    this.#terminated = false;
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
    if (this.#terminated) return this.#end();
    const buffer = this.#pending;
    const length = buffer.length;
    if (length === 0) return undefined;
    let position = 0;
    // A dot at a line start seen in an earlier chunk: resolve it with this chunk's first bytes.
    if (this.#dotState === DotState.DotCr) {
      this.#dotState = DotState.None;
      if (buffer[0] === LF) {
        this.#pending = buffer.subarray(1);
        return this.#end();
      }
      // `.\r` then something else: the dot was stuffing, the CR (held back from the last chunk) is data.
      this.#lineStart = false;
      return { type: 'data', bytes: Uint8Array.of(CR) };
    }
    if (this.#dotState === DotState.Dot || (this.#lineStart && buffer[0] === DOT)) {
      const next = this.#dotState === DotState.Dot ? 0 : 1;
      this.#dotState = DotState.None;
      const resolved = afterDot(buffer, next);
      if (resolved === 'terminator') {
        this.#pending = buffer.subarray(next + 2);
        return this.#end();
      }
      if (resolved === 'wait') {
        this.#dotState = next === length ? DotState.Dot : DotState.DotCr;
        this.#pending = EMPTY;
        return undefined;
      }
      position = next;
    }
    // Line lengths are checked on the wire bytes, up to the terminator, each stretch before
    // un-stuffing rewrites it; the search for line-starting dots finds the terminator too.
    let checked = 0;
    // Un-stuff in place: each run of kept bytes moves left over the dots dropped before it.
    const outStart = position;
    let write = position;
    let runStart = position;
    let end = length;
    for (;;) {
      const lf = this.#findLineDot(buffer, position);
      if (lf < 0) break;
      const dot = lf + 1;
      this.#checkLines(buffer, checked, dot);
      checked = dot;
      const resolved = afterDot(buffer, dot + 1);
      if (resolved === 'stuffed') {
        if (write !== runStart) buffer.copyWithin(write, runStart, dot);
        write += dot - runStart;
        runStart = dot + 1;
        position = dot + 1;
        continue;
      }
      if (resolved === 'terminator') {
        end = dot + 3;
        this.#terminated = true;
      } else {
        this.#dotState = dot + 1 === length ? DotState.Dot : DotState.DotCr;
      }
      if (write !== runStart) buffer.copyWithin(write, runStart, dot);
      write += dot - runStart;
      runStart = -1;
      break;
    }
    if (!this.#terminated) this.#checkLines(buffer, checked, length);
    if (runStart >= 0) {
      if (write !== runStart) buffer.copyWithin(write, runStart, length);
      write += length - runStart;
    }
    this.#lineStart = buffer[end - 1] === LF;
    this.#pending = end >= length ? EMPTY : buffer.subarray(end);
    if (write === outStart) return this.#terminated ? this.#end() : undefined;
    return { type: 'data', bytes: buffer.subarray(outStart, write) };
  }

  /**
   * The index of the next LF followed by a dot, from `from`. The two-byte
   * search is fastest over long stretches without line-starting dots; where
   * they are dense (every line of a quoted `.`-file), stepping LF by LF costs
   * less per line, so the parser switches between the two.
   */
  #findLineDot(buffer: Buffer, from: number): number {
    if (this.#denseDots) {
      let position = from;
      for (let lines = 0; lines < DENSE_PROBE_LINES; lines++) {
        const lf = buffer.indexOf(LF, position);
        if (lf < 0 || lf + 1 >= buffer.length) return -1;
        if (buffer[lf + 1] === DOT) return lf;
        position = lf + 1;
      }
      this.#denseDots = false;
      return buffer.indexOf(LF_DOT, position);
    }
    const found = buffer.indexOf(LF_DOT, from);
    if (found >= 0 && found - from < DENSE_GAP) this.#denseDots = true;
    return found;
  }

  #end(): BodyEvent {
    this.#terminated = false;
    this.#inBody = false;
    return { type: 'end' };
  }

  /**
   * Tracks line lengths over `bytes[start, end)`, which continues the current
   * line. A stretch that cannot hold an overlong line costs one comparison (or
   * one native scan for the start of its last line); a longer one jumps to the
   * last LF within each 64 KiB window, so a normal message costs a handful of
   * native scans per window rather than one step per line.
   */
  #checkLines(bytes: Buffer, start: number, end: number): void {
    if (this.#lineLength + end - start <= MAX_BODY_LINE_BYTES + 1) {
      if (end === start) return;
      if (bytes[end - 1] === LF) {
        this.#lineLength = 0;
        return;
      }
      const lastLf = bytes.lastIndexOf(LF, end - 1);
      this.#lineLength = lastLf >= start ? end - lastLf - 1 : this.#lineLength + end - start;
      return;
    }
    let position = start;
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

/**
 * What follows a line-starting dot whose next byte is at `index`: the
 * terminator (`\r\n`), a stuffed dot, or too few bytes to tell.
 */
function afterDot(buffer: Buffer, index: number): 'terminator' | 'stuffed' | 'wait' {
  if (index >= buffer.length) return 'wait';
  if (buffer[index] !== CR) return 'stuffed';
  if (index + 1 >= buffer.length) return 'wait';
  return buffer[index + 1] === LF ? 'terminator' : 'stuffed';
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
