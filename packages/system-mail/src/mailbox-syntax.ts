import { isIPv4, isIPv6 } from 'node:net';
import { isHostName } from './host-syntax.js';

const ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+$/;
const QUOTED_STRING = /^"(?:[\x20\x21\x23-\x5B\x5D-\x7E]|\\[\x20-\x7E])*"$/;

/** The parts of a mailbox, split at the last `@` outside the local part's quotes. */
export interface MailboxParts {
  /** The local part, quotes included when quoted. */
  readonly localPart: string;
  /** The domain, brackets included for an address literal. */
  readonly domain: string;
}

/**
 * Splits a mailbox at its `@`. The domain never contains `@`, so the last one
 * separates, which also handles quoted local parts that contain `@`.
 *
 * @param mailbox - the address.
 * @returns the two parts, or undefined when there is no `@`.
 */
export function splitMailbox(mailbox: string): MailboxParts | undefined {
  const at = mailbox.lastIndexOf('@');
  if (at < 0) return undefined;
  return { localPart: mailbox.slice(0, at), domain: mailbox.slice(at + 1) };
}

function isLocalPart(local: string): boolean {
  if (local.length === 0 || local.length > 64) return false;
  if (local.startsWith('"')) return QUOTED_STRING.test(local);
  return local.split('.').every((atom) => ATOM.test(atom));
}

function isDomainPart(domain: string): boolean {
  if (domain.startsWith('[') && domain.endsWith(']')) {
    const literal = domain.slice(1, -1);
    if (/^IPv6:/i.test(literal)) return isIPv6(literal.slice(5));
    return isIPv4(literal);
  }
  return !domain.endsWith('.') && domain.length <= 255 && isHostName(domain);
}

/**
 * Whether a string is an RFC 5321 `Mailbox`: a dot-atom or quoted-string local
 * part (at most 64 octets), `@`, and a domain name or an IPv4 / `IPv6:`
 * address literal, 254 characters in all (the 256-octet path minus its
 * brackets). ASCII only: internationalised addresses need SMTPUTF8, which the
 * system account does not rely on.
 *
 * @param mailbox - the candidate address.
 * @returns true for a valid mailbox.
 */
export function isValidMailbox(mailbox: string): boolean {
  if (mailbox.length > 254) return false;
  const parts = splitMailbox(mailbox);
  return parts !== undefined && isLocalPart(parts.localPart) && isDomainPart(parts.domain);
}
