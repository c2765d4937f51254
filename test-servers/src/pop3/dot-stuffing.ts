const LF = 0x0a;
const DOT = 0x2e;
const CR = 0x0d;
const CRLF = Buffer.from('\r\n');

/**
 * RFC 1939 §3 byte-stuffing, streamed: a '.' that starts a line gets another '.'.
 * Line starts are tracked across chunks, so any chunking gives the same bytes.
 */
export class DotStuffer {
  #atLineStart = true;
  #sawAny = false;
  #endsWithCrlf = false;
  #lastWasCr = false;

  /**
   * Stuffs the next chunk.
   * @param chunk - message bytes
   * @returns the stuffed bytes (the chunk itself when nothing needed stuffing)
   */
  push(chunk: Uint8Array): Uint8Array {
    if (chunk.length === 0) return chunk;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const pieces: Buffer[] = [];
    let start = 0;
    let lineStart = this.#atLineStart ? 0 : nextLineStart(bytes, 0);
    while (lineStart !== -1 && lineStart < bytes.length) {
      if (bytes[lineStart] === DOT) {
        pieces.push(bytes.subarray(start, lineStart), Buffer.from('.'));
        start = lineStart;
      }
      lineStart = nextLineStart(bytes, lineStart);
    }
    const last = bytes[bytes.length - 1];
    const beforeLast = bytes.length > 1 ? bytes[bytes.length - 2] === CR : this.#lastWasCr;
    this.#sawAny = true;
    this.#atLineStart = last === LF;
    this.#endsWithCrlf = last === LF && beforeLast;
    this.#lastWasCr = last === CR;
    if (pieces.length === 0) return chunk;
    pieces.push(bytes.subarray(start));
    return Buffer.concat(pieces);
  }

  /**
   * What must follow the last chunk so that the terminator starts a line: CRLF unless the
   * message already ended with one (empty messages need nothing).
   */
  finish(): Uint8Array {
    return !this.#sawAny || this.#endsWithCrlf ? new Uint8Array(0) : CRLF;
  }
}

function nextLineStart(bytes: Buffer, from: number): number {
  const lf = bytes.indexOf(LF, from);
  return lf === -1 ? -1 : lf + 1;
}

/**
 * Stuffs a whole message and makes it end with CRLF, ready to be followed by `.\r\n`.
 * @param message - the message as served
 * @returns the wire form of its body
 */
export function stuffMessage(message: Uint8Array): Uint8Array {
  const stuffer = new DotStuffer();
  const body = stuffer.push(message);
  const tail = stuffer.finish();
  return tail.length === 0 ? body : Buffer.concat([body, tail]);
}

/**
 * Where RFC 1939 TOP cuts a message: after the header, the blank line and `lines` body lines.
 * @param message - the message bytes seen so far
 * @param lines - how many body lines to keep
 * @returns the cut offset, or undefined when `message` does not reach it yet
 */
export function topCut(message: Uint8Array, lines: number): number | undefined {
  const bytes = Buffer.from(message.buffer, message.byteOffset, message.length);
  let position = 0;
  let bodyStart: number | undefined;
  while (position < bytes.length) {
    const lf = bytes.indexOf(LF, position);
    if (lf === -1) return undefined;
    const lineLength = lf - position;
    if (lineLength === 0 || (lineLength === 1 && bytes[position] === CR)) {
      bodyStart = lf + 1;
      break;
    }
    position = lf + 1;
  }
  if (bodyStart === undefined) return undefined;
  let cut = bodyStart;
  for (let kept = 0; kept < lines; kept++) {
    const lf = bytes.indexOf(LF, cut);
    if (lf === -1) return undefined;
    cut = lf + 1;
  }
  return cut;
}
