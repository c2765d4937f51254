import { Pop3ProtocolError } from '../errors.js';

/** One parsed single-line server response. */
export type StatusLine =
  | {
      /** `+OK` or `-ERR`. */
      readonly type: 'ok' | 'err';
      /** The RFC 2449 response code between brackets, upper-cased (`AUTH`, `IN-USE`, `SYS/TEMP`), if any. */
      readonly code: string | undefined;
      /** The text after the indicator and the response code. */
      readonly text: string;
      /** The whole line without its line ending. */
      readonly line: string;
    }
  | {
      /** A SASL continuation (`+ base64`, RFC 5034). */
      readonly type: 'continuation';
      /** The base64 challenge text (possibly empty). */
      readonly text: string;
      /** The whole line without its line ending. */
      readonly line: string;
    };

/** Response codes after which trying again later may succeed (RFC 2449 §8, RFC 3206). */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(['IN-USE', 'LOGIN-DELAY', 'SYS/TEMP']);

/**
 * Whether a response code says the failure is temporary.
 *
 * @param code - an upper-cased response code
 * @returns true for `IN-USE`, `LOGIN-DELAY` and `SYS/TEMP` (and their sub-codes)
 */
export function isTransientCode(code: string | undefined): boolean {
  if (code === undefined) return false;
  return TRANSIENT_CODES.has(code) || [...TRANSIENT_CODES].some((transient) => code.startsWith(`${transient}/`));
}

// RFC 2449 §3: resp-code = "[" resp-level *("/" resp-level) "]"; resp-level = 1*(%x21-2E / %x30-5C / %x5E-7F)
const RESP_CODE = /^\[([\x21-\x2e\x30-\x5c\x5e-\x7e]+(?:\/[\x21-\x2e\x30-\x5c\x5e-\x7e]+)*)\]\s*/;

const decoder = new TextDecoder('utf-8', { fatal: false });

const PLUS = 0x2b;
const MINUS = 0x2d;
const SPACE = 0x20;
const TAB = 0x09;
const LEFT_BRACKET = 0x5b;
/** ORed into an ASCII letter, gives its lower case; no other character becomes an ASCII letter by it. */
const LOWER = 0x20;

/**
 * Parses one status line (without its line ending): `+OK`, `-ERR`, each with
 * an optional RFC 2449 response code, or a `+` SASL continuation.
 *
 * @param bytes - the line without CRLF
 * @returns the parsed line
 * @throws {@link Pop3ProtocolError} `malformed-response` for anything else
 */
export function parseStatusLine(bytes: Uint8Array): StatusLine {
  const line = decoder.decode(bytes);
  // Compared code by code rather than with a regular expression: every response of a pipelined batch passes here.
  const indicator = indicatorLength(line);
  if (indicator > 0) {
    const after = line.charCodeAt(indicator);
    const rest = after === SPACE || after === TAB ? line.slice(indicator + 1) : line.slice(indicator);
    const code = rest.charCodeAt(0) === LEFT_BRACKET ? RESP_CODE.exec(rest) : null;
    return {
      type: indicator === 3 ? 'ok' : 'err',
      code: code?.[1]?.toUpperCase(),
      text: code === null ? rest : rest.slice(code[0].length),
      line,
    };
  }
  if (line === '+' || line.startsWith('+ ')) {
    return { type: 'continuation', text: line.slice(2).trim(), line };
  }
  throw new Pop3ProtocolError(
    'malformed-response',
    `The server sent a line that is not a POP3 status line (+OK, -ERR or a + continuation): ${JSON.stringify(line.slice(0, 200))}. ` +
      'Check that the port really serves POP3 (and not, say, POP3S or IMAP).',
    { response: line.slice(0, 200) },
  );
}

/**
 * The length of the line's `+OK` (3) or `-ERR` (4) indicator, in any case and
 * followed by the end of the line, a space or a tab; 0 when it has neither.
 */
function indicatorLength(line: string): number {
  let length = 0;
  const first = line.charCodeAt(0);
  if (first === PLUS && (line.charCodeAt(1) | LOWER) === 0x6f && (line.charCodeAt(2) | LOWER) === 0x6b) {
    length = 3;
  } else if (
    first === MINUS &&
    (line.charCodeAt(1) | LOWER) === 0x65 &&
    (line.charCodeAt(2) | LOWER) === 0x72 &&
    (line.charCodeAt(3) | LOWER) === 0x72
  ) {
    length = 4;
  } else {
    return 0;
  }
  const after = line.charCodeAt(length);
  return Number.isNaN(after) || after === SPACE || after === TAB ? length : 0;
}
