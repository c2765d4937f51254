import { Pop3ProtocolError } from '../errors.js';

/** RFC 2449 §4: a command line, CRLF included, is at most 255 octets. */
export const MAX_COMMAND_LINE_BYTES = 255;

/** How strictly an argument is checked. */
export type ArgumentRule =
  /** Any text without CR, LF or NUL (SASL base64 lines, message numbers already checked). */
  | 'line'
  /** RFC 1939 printable ASCII without spaces: USER and APOP names. */
  | 'name'
  /**
   * A password for PASS: any text without control characters, spaces allowed (RFC 1939 §7
   * lets the server treat them as part of the password), sent as UTF-8. RFC 1939 speaks of
   * printable ASCII, but servers compare the bytes (Dovecot accepts UTF-8 passwords), and
   * refusing would leave a user whose password is not ASCII no USER/PASS login at all.
   */
  | 'password';

const PRINTABLE_WITHOUT_SPACE = /^[\x21-\x7e]+$/;
/** No control characters (C0, DEL, C1) and no unpaired surrogate, which UTF-8 cannot carry. */
const PASSWORD_TEXT = /^[^\p{Cc}\p{Cs}]+$/u;
const FORBIDDEN_IN_LINE = /[\r\n\0]/;

/**
 * Checks one command argument. The message never echoes the argument, which
 * may be a password.
 *
 * @param value - the argument
 * @param rule - which syntax applies
 * @param what - how to name the argument in the error
 * @throws {@link Pop3ProtocolError} `invalid-argument`
 */
export function checkArgument(value: string, rule: ArgumentRule, what: string): void {
  if (FORBIDDEN_IN_LINE.test(value)) {
    throw new Pop3ProtocolError('invalid-argument', `The ${what} contains CR, LF or NUL, which would end or corrupt the POP3 command; nothing was sent.`);
  }
  if (rule === 'name' && !PRINTABLE_WITHOUT_SPACE.test(value)) {
    throw new Pop3ProtocolError(
      'invalid-argument',
      `The ${what} must be non-empty printable ASCII without spaces (RFC 1939); nothing was sent. Use SASL (method 'sasl') for other user names.`,
    );
  }
  if (rule === 'password' && !PASSWORD_TEXT.test(value)) {
    throw new Pop3ProtocolError(
      'invalid-argument',
      `The ${what} must be non-empty text without control characters; nothing was sent.`,
    );
  }
}

/**
 * Encodes a command line: the keyword, its arguments separated by single
 * spaces, and CRLF. Every argument is checked against `rules` (default
 * `line`), and the whole line against RFC 2449's 255-octet limit unless
 * `unlimited` (RFC 5034 lifts it for AUTH's base64 lines).
 *
 * @param keyword - the command keyword, e.g. `RETR`
 * @param args - the arguments with the rule each must satisfy and how to name it in errors
 * @param options - `unlimited` to skip the 255-octet check
 * @returns the line, CRLF included
 * @throws {@link Pop3ProtocolError} `invalid-argument`
 */
export function encodeCommand(
  keyword: string,
  args: ReadonlyArray<{ value: string; rule?: ArgumentRule; what?: string }> = [],
  options: { unlimited?: boolean } = {},
): string {
  for (const arg of args) checkArgument(arg.value, arg.rule ?? 'line', arg.what ?? `${keyword} argument`);
  const line = [keyword, ...args.map((arg) => arg.value)].join(' ') + '\r\n';
  if (options.unlimited !== true && Buffer.byteLength(line) > MAX_COMMAND_LINE_BYTES) {
    throw new Pop3ProtocolError(
      'invalid-argument',
      `The ${keyword} command would be longer than ${MAX_COMMAND_LINE_BYTES} octets, the limit of RFC 2449; nothing was sent.`,
    );
  }
  return line;
}

/**
 * Checks a message number as RFC 1939 wants it: a positive decimal integer.
 *
 * @param n - the message number
 * @returns it as decimal text
 * @throws {@link Pop3ProtocolError} `invalid-argument`
 */
export function messageNumber(n: number): string {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new Pop3ProtocolError('invalid-argument', `Message numbers are positive integers; got ${String(n)}. Nothing was sent.`);
  }
  return String(n);
}

/**
 * Encodes a command whose one argument is a message number (`RETR 7`, `DELE 7`):
 * what {@link encodeCommand} makes of `keyword` and {@link messageNumber}`(n)`,
 * without its general checks, which digits cannot fail. Pipelined retrieval
 * encodes thousands of these at once.
 *
 * @param keyword - a command keyword of this client (`RETR`, `DELE`, `LIST`, `UIDL`, `TOP`)
 * @param n - the message number
 * @returns the command line with its CRLF
 * @throws {@link Pop3ProtocolError} `invalid-argument` when `n` is not a positive safe integer
 */
export function encodeMessageCommand(keyword: string, n: number): string {
  return `${keyword} ${messageNumber(n)}\r\n`;
}

/**
 * Checks a TOP line count: a non-negative decimal integer.
 *
 * @param lines - how many body lines to fetch
 * @returns it as decimal text
 * @throws {@link Pop3ProtocolError} `invalid-argument`
 */
export function lineCount(lines: number): string {
  if (!Number.isSafeInteger(lines) || lines < 0) {
    throw new Pop3ProtocolError('invalid-argument', `TOP takes a non-negative integer line count; got ${String(lines)}. Nothing was sent.`);
  }
  return String(lines);
}
