import { Pop3ProtocolError } from '../errors.js';

/** A message number and its size in octets, from STAT or LIST. */
export interface MessageSize {
  /** The message number (1-based, valid for this session). */
  readonly number: number;
  /** The size in octets, as the server counts it (with CRLF line endings). */
  readonly size: number;
}

/** A message number and its unique id, from UIDL. */
export interface MessageUid {
  /** The message number (1-based, valid for this session). */
  readonly number: number;
  /** The server's persistent unique id (RFC 1939 §7: 1 to 70 characters 0x21-0x7E). */
  readonly uid: string;
}

/** The answer to STAT. */
export interface MailboxStat {
  /** How many messages are in the mailbox, not counting those marked deleted. */
  readonly count: number;
  /** Their total size in octets. */
  readonly size: number;
}

const NUMBER = /^\d{1,15}$/;
const UID = /^[\x21-\x7e]{1,70}$/;

function malformed(what: string, text: string): Pop3ProtocolError {
  return new Pop3ProtocolError('malformed-response', `The server's ${what} is malformed: ${JSON.stringify(text.slice(0, 200))}.`, {
    response: text.slice(0, 200),
  });
}

function twoFields(text: string, what: string): [string, string] {
  const [first, second] = text.trim().split(/\s+/);
  if (first === undefined || second === undefined || !NUMBER.test(first)) throw malformed(what, text);
  return [first, second];
}

/**
 * Parses the text of a `+OK` to STAT: `count size`.
 *
 * @param text - the status text after `+OK`
 * @returns the count and size
 * @throws {@link Pop3ProtocolError} `malformed-response`
 */
export function parseStat(text: string): MailboxStat {
  const [count, size] = twoFields(text, 'STAT answer');
  if (!NUMBER.test(size)) throw malformed('STAT answer', text);
  return { count: Number(count), size: Number(size) };
}

/**
 * Parses one scan listing (`n size`), from a LIST line or a single-message LIST answer.
 *
 * @param text - the line
 * @returns the number and size
 * @throws {@link Pop3ProtocolError} `malformed-response`
 */
export function parseScanListing(text: string): MessageSize {
  const [number, size] = twoFields(text, 'LIST line');
  if (!NUMBER.test(size)) throw malformed('LIST line', text);
  return { number: Number(number), size: Number(size) };
}

/**
 * Parses one unique-id listing (`n uid`), from a UIDL line or a single-message UIDL answer.
 *
 * @param text - the line
 * @returns the number and uid
 * @throws {@link Pop3ProtocolError} `malformed-response`
 */
export function parseUidListing(text: string): MessageUid {
  const [number, uid] = twoFields(text, 'UIDL line');
  if (!UID.test(uid)) throw malformed('UIDL line', text);
  return { number: Number(number), uid };
}

/**
 * Splits a multi-line response body into lines, dropping line endings.
 *
 * @param body - the un-stuffed body
 * @returns its lines
 */
export function splitLines(body: Uint8Array): string[] {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(body);
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
