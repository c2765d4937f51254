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
  const ok = /^\+OK(?=$|[ \t])/i.exec(line);
  const err = ok === null ? /^-ERR(?=$|[ \t])/i.exec(line) : null;
  if (ok !== null || err !== null) {
    const rest = line.slice((ok ?? err)?.[0].length ?? 0).replace(/^[ \t]/, '');
    const code = RESP_CODE.exec(rest);
    return {
      type: ok !== null ? 'ok' : 'err',
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
