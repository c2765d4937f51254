import { SmtpProtocolError, type SmtpPhase } from '../smtp-error.js';
import type { SmtpReply } from './reply.js';

/** The longest reply line accepted, without its line ending (RFC 5321 allows 512; servers send more). */
export const MAX_REPLY_LINE_BYTES = 4096;
/** The largest reply accepted, all lines together. */
export const MAX_REPLY_BYTES = 64 * 1024;
/** The most lines one reply may have. */
export const MAX_REPLY_LINES = 1000;

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const indexOf = Uint8Array.prototype.indexOf;
const LINE_START = /^([2-5]\d\d)([ -]|$)/;
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/;

interface PendingReply {
  code: string;
  rawLines: string[];
  texts: string[];
  bytes: number;
}

/** What a queued reply brings besides itself: its lines as received, for transcripts, and its size. */
interface ReplyRecord {
  readonly rawLines: readonly string[];
  readonly bytes: number;
}

/** A single-line reply seen recently, its line (line end included) and its parsed form. */
interface KnownLine extends ReplyRecord {
  readonly line: Uint8Array;
  readonly code: number;
  readonly enhancedCode: string | undefined;
  readonly text: string;
}

/**
 * How many recent single-line replies are remembered: a pipelined batch repeats
 * the same few (RSET, MAIL, RCPT and end-of-data replies), and recognising the
 * bytes spares decoding and parsing them again.
 */
const KNOWN_LINES = 4;
/** Replies taken from the front of the queue before it is compacted, when it is not emptied first. */
const COMPACT_AFTER = 1024;

/**
 * Incremental SMTP reply parser (RFC 5321 §4.2): feed it bytes in any
 * fragmentation with {@link ReplyParser.push}, take complete replies with
 * {@link ReplyParser.next}. Accepts bare-LF line ends. Bounded: a line over
 * {@link MAX_REPLY_LINE_BYTES}, a reply over {@link MAX_REPLY_BYTES} or
 * {@link MAX_REPLY_LINES} lines, a line without a valid code or with a code
 * different from the reply's first line is an {@link SmtpProtocolError}, after
 * which the parser refuses further input.
 */
export class ReplyParser {
  /** The session step being parsed, named in protocol errors. */
  phase: SmtpPhase = 'greeting';
  readonly #decoder = new TextDecoder('utf-8');
  #lineParts: Uint8Array[] = [];
  #lineBytes = 0;
  #pending: PendingReply | undefined;
  /** Complete replies not yet taken, from {@link ReplyParser.#head} on, and beside each what else is known of it. */
  #queue: SmtpReply[] = [];
  #records: ReplyRecord[] = [];
  #head = 0;
  #queuedBytes = 0;
  #failure: SmtpProtocolError | undefined;
  #lastRawLines: readonly string[] = [];
  readonly #known: KnownLine[] = [];
  #nextKnown = 0;

  /**
   * Feeds received bytes.
   *
   * @param bytes - the next bytes from the server, any fragmentation
   * @throws {@link SmtpProtocolError} when the bytes break the reply syntax or a bound
   */
  push(bytes: Uint8Array): void {
    if (this.#failure !== undefined) throw this.#failure;
    let start = 0;
    while (start < bytes.length) {
      // The typed array's own search: a Buffer's indexOf goes through argument checks in JavaScript.
      const lf = indexOf.call(bytes, LF, start);
      if (lf !== -1 && this.#lineBytes === 0 && this.#pending === undefined && this.#takeSimpleLine(bytes, start, lf)) {
        start = lf + 1;
        continue;
      }
      const end = lf === -1 ? bytes.length : lf;
      if (end > start) {
        this.#lineBytes += end - start;
        // The CR of a CRLF is counted too, so allow one byte over the text limit.
        if (this.#lineBytes > MAX_REPLY_LINE_BYTES + 1) {
          this.#fail(`The server sent a reply line longer than ${MAX_REPLY_LINE_BYTES} bytes.`);
        }
        this.#lineParts.push(bytes.slice(start, end));
      }
      if (lf === -1) break;
      this.#completeLine();
      start = lf + 1;
    }
  }

  /**
   * Takes the next complete reply, if one has been received.
   *
   * @returns the reply, or `undefined` when more bytes are needed
   */
  next(): SmtpReply | undefined {
    const head = this.#head;
    const queue = this.#queue;
    if (head === queue.length) return undefined;
    const reply = queue[head] as SmtpReply;
    const record = this.#records[head] as ReplyRecord;
    this.#queuedBytes -= record.bytes;
    this.#lastRawLines = record.rawLines;
    // A pipelined batch queues thousands of replies at once: taking them one by one
    // with shift() would move the rest each time.
    if (head + 1 === queue.length) {
      this.#queue = [];
      this.#records = [];
      this.#head = 0;
    } else if (head + 1 >= COMPACT_AFTER) {
      this.#queue = queue.slice(head + 1);
      this.#records = this.#records.slice(head + 1);
      this.#head = 0;
    } else {
      this.#head = head + 1;
    }
    return reply;
  }

  /** The lines, as received, of the reply last returned by {@link ReplyParser.next}: for transcripts. */
  get lastRawLines(): readonly string[] {
    return this.#lastRawLines;
  }

  /**
   * How many received bytes have not been returned as part of a reply: complete
   * replies not yet taken, lines of an unfinished reply and a partial line. Before
   * a TLS upgrade this must be zero, or the server (or someone in between) sent
   * bytes it had no business sending.
   */
  get bufferedBytes(): number {
    return this.#queuedBytes + (this.#pending?.bytes ?? 0) + this.#lineBytes;
  }

  /**
   * The common case, without copying or decoding through the general path: a
   * whole single-line ASCII reply (`250 2.0.0 ok`) within one pushed chunk,
   * outside any multi-line reply. Returns false for anything else, which the
   * general path then handles (and refuses if it must).
   */
  #takeSimpleLine(bytes: Uint8Array, start: number, lf: number): boolean {
    const lineBytes = lf - start + 1;
    const known = this.#recognise(bytes, start, lineBytes);
    if (known !== undefined) {
      this.#enqueue(replyOf(known), known);
      return true;
    }
    const end = lf > start && bytes[lf - 1] === CR ? lf - 1 : lf;
    const length = end - start;
    if (length < 3 || length > MAX_REPLY_LINE_BYTES) return false;
    const d0 = (bytes[start] as number) - 0x30;
    const d1 = (bytes[start + 1] as number) - 0x30;
    const d2 = (bytes[start + 2] as number) - 0x30;
    if (d0 < 2 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return false;
    if (length > 3 && bytes[start + 3] !== SPACE) return false;
    let line = '';
    for (let i = start; i < end; i++) {
      const byte = bytes[i] as number;
      if (byte >= 0x80) return false;
      line += String.fromCharCode(byte);
    }
    const rawLines = [line];
    const reply = buildReply({ code: line.slice(0, 3), rawLines, texts: [line.slice(4)], bytes: lineBytes });
    const learnt: KnownLine = { line: bytes.slice(start, lf + 1), code: reply.code, enhancedCode: reply.enhancedCode, text: reply.text, rawLines, bytes: lineBytes };
    this.#known[this.#nextKnown] = learnt;
    this.#nextKnown = (this.#nextKnown + 1) % KNOWN_LINES;
    this.#enqueue(reply, learnt);
    return true;
  }

  /** The remembered single-line reply whose bytes, line end included, are exactly these. */
  #recognise(bytes: Uint8Array, start: number, lineBytes: number): KnownLine | undefined {
    for (const known of this.#known) {
      const line = known.line;
      if (line.length !== lineBytes) continue;
      let i = 0;
      while (i < lineBytes && line[i] === bytes[start + i]) i++;
      if (i === lineBytes) return known;
    }
    return undefined;
  }

  #enqueue(reply: SmtpReply, record: ReplyRecord): void {
    this.#queue.push(reply);
    this.#records.push(record);
    this.#queuedBytes += record.bytes;
  }

  #completeLine(): void {
    const parts = this.#lineParts;
    const lineBytes = this.#lineBytes + 1;
    this.#lineParts = [];
    this.#lineBytes = 0;
    let bytes = parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts, lineBytes - 1);
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length > MAX_REPLY_LINE_BYTES) this.#fail(`The server sent a reply line longer than ${MAX_REPLY_LINE_BYTES} bytes.`);
    const line = this.#decoder.decode(bytes);
    const match = LINE_START.exec(line);
    if (match === null) this.#fail(`The server sent a line that is not an SMTP reply: ${quote(line)}.`);
    const [, code = '', separator = ''] = match;
    const pending = this.#pending ?? { code, rawLines: [], texts: [], bytes: 0 };
    if (pending.code !== code) {
      this.#fail(`The server changed the reply code within a multi-line reply (${pending.code}, then ${code}).`);
    }
    pending.rawLines.push(line);
    pending.texts.push(line.slice(4));
    pending.bytes += lineBytes;
    if (pending.bytes > MAX_REPLY_BYTES) this.#fail(`The server sent a reply larger than ${MAX_REPLY_BYTES} bytes.`);
    if (pending.rawLines.length > MAX_REPLY_LINES) this.#fail(`The server sent a reply of more than ${MAX_REPLY_LINES} lines.`);
    if (separator === '-') {
      this.#pending = pending;
      return;
    }
    this.#pending = undefined;
    this.#enqueue(buildReply(pending), pending);
  }

  #fail(message: string): never {
    this.#failure = new SmtpProtocolError(this.phase, `${message} The connection was closed; the server is not speaking SMTP correctly.`);
    throw this.#failure;
  }
}

function buildReply(pending: PendingReply): SmtpReply {
  const code = Number(pending.code);
  const first = pending.texts[0] ?? '';
  // Only a text starting "2.", "4." or "5." can hold an enhanced status code.
  const enhanced = first.charCodeAt(1) === 0x2e ? ENHANCED.exec(first) : null;
  const enhancedCode = enhanced !== null && enhanced[1] === pending.code[0] ? `${enhanced[1]}.${enhanced[2]}.${enhanced[3]}` : undefined;
  const lines = enhancedCode === undefined ? pending.texts : pending.texts.map((text) => stripEnhanced(text, enhancedCode));
  const reply: SmtpReply = { code, lines, text: lines.join('\n') };
  if (enhancedCode !== undefined) reply.enhancedCode = enhancedCode;
  return reply;
}

/** A fresh reply for a remembered line: callers own the replies they are given. */
function replyOf(known: KnownLine): SmtpReply {
  // Built whole: a property added afterwards would need a second allocation for it, per reply.
  const { code, enhancedCode, text } = known;
  return enhancedCode === undefined ? { code, lines: [text], text } : { code, enhancedCode, lines: [text], text };
}

function stripEnhanced(text: string, enhancedCode: string): string {
  if (text === enhancedCode) return '';
  return text.startsWith(`${enhancedCode} `) ? text.slice(enhancedCode.length + 1) : text;
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function quote(line: string): string {
  const shown = line.length > 80 ? `${line.slice(0, 80)}…` : line;
  return JSON.stringify(shown);
}
