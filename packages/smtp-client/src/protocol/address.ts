import { SmtpArgumentError, type SmtpPhase } from '../smtp-error.js';
import { refuseLineBreaks } from './command-line.js';

const ATEXT = "A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~";
const NON_ASCII = '\\u0080-\\u{10FFFF}';
const DOT_STRING_ASCII = new RegExp(`^[${ATEXT}]+(?:\\.[${ATEXT}]+)*$`, 'u');
const DOT_STRING_UTF8 = new RegExp(`^[${ATEXT}${NON_ASCII}]+(?:\\.[${ATEXT}${NON_ASCII}]+)*$`, 'u');
const QUOTED_ASCII = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/u;
const QUOTED_UTF8 = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e\u0080-\u{10FFFF}]|\\[\x20-\x7e])*"$/u;
const LABEL_ASCII = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/u;
const LABEL_UTF8 = /^[A-Za-z0-9\u0080-\u{10FFFF}](?:[A-Za-z0-9\u0080-\u{10FFFF}-]*[A-Za-z0-9\u0080-\u{10FFFF}])?$/u;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const GENERAL_LITERAL = /^[A-Za-z0-9-]*[A-Za-z0-9]:[\x21-\x5a\x5e-\x7e]+$/;
const HAS_NON_ASCII = /[^\x00-\x7f]/;

const encoder = new TextEncoder();
const octets = (text: string): number => (HAS_NON_ASCII.test(text) ? encoder.encode(text).length : text.length);

/** What checking an address found out. */
export interface AddressCheck {
  /** The address contains non-ASCII characters: it can only be sent with SMTPUTF8. */
  readonly needsSmtpUtf8: boolean;
}

/**
 * Checks a mailbox (`local@domain`, without angle brackets) against RFC 5321
 * §4.1.2: a dot-atom or quoted local part, a domain name or an address literal
 * (`[192.0.2.1]`, `[IPv6:2001:db8::1]`), the length limits, and non-ASCII only
 * in the forms RFC 6531 allows.
 *
 * @param address - the mailbox
 * @param phase - `mail` or `rcpt`, for the error
 * @returns whether SMTPUTF8 is needed
 * @throws {@link SmtpArgumentError} when the address cannot be sent
 */
export function checkMailbox(address: string, phase: SmtpPhase): AddressCheck {
  const known = accepted.get(address);
  if (known !== undefined) return known;
  const check = checkUncached(address, phase);
  // Bulk senders repeat their sender and often their recipients: remember recent good addresses.
  if (accepted.size >= ACCEPTED_CACHE_SIZE) accepted.clear();
  accepted.set(address, check);
  return check;
}

/** How many recently accepted addresses {@link checkMailbox} remembers. */
const ACCEPTED_CACHE_SIZE = 1024;
const accepted = new Map<string, AddressCheck>();
const NEEDS_SMTPUTF8: AddressCheck = Object.freeze({ needsSmtpUtf8: true });
const ASCII_ONLY: AddressCheck = Object.freeze({ needsSmtpUtf8: false });

function checkUncached(address: string, phase: SmtpPhase): AddressCheck {
  refuseLineBreaks(address, phase, 'address');
  const bad = (why: string): SmtpArgumentError =>
    new SmtpArgumentError(phase, `The address ${JSON.stringify(address)} cannot be sent: ${why}. Pass a plain address such as user@example.com.`);
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) throw bad('it needs a local part, "@" and a domain');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  const utf8 = HAS_NON_ASCII.test(address);
  const dotString = utf8 ? DOT_STRING_UTF8 : DOT_STRING_ASCII;
  const quoted = utf8 ? QUOTED_UTF8 : QUOTED_ASCII;
  if (!dotString.test(local) && !quoted.test(local)) {
    throw bad('the local part is neither a dot-atom nor a quoted string (RFC 5321 §4.1.2)');
  }
  if (octets(local) > 64) throw bad('the local part is longer than 64 octets');
  if (domain.startsWith('[')) {
    if (!isAddressLiteral(domain)) throw bad('the address literal is not [IPv4], [IPv6:…] or a standardised tagged literal');
  } else {
    if (octets(domain) > 255) throw bad('the domain is longer than 255 octets');
    const labels = domain.split('.');
    const label = utf8 ? LABEL_UTF8 : LABEL_ASCII;
    if (!labels.every((part) => label.test(part) && octets(part) <= 63)) throw bad('the domain is not a valid domain name');
  }
  if (octets(address) > 254) throw bad('it is longer than 254 octets');
  return utf8 ? NEEDS_SMTPUTF8 : ASCII_ONLY;
}

/**
 * Whether a text is a domain name or address literal usable as the EHLO / HELO argument.
 *
 * @param name - a candidate client name
 * @returns true when it is an ASCII domain name or an address literal
 */
export function isValidClientName(name: string): boolean {
  if (name.startsWith('[')) return isAddressLiteral(name);
  return name.length > 0 && name.length <= 255 && name.split('.').every((part) => LABEL_ASCII.test(part) && part.length <= 63);
}

function isAddressLiteral(literal: string): boolean {
  if (!literal.startsWith('[') || !literal.endsWith(']')) return false;
  const inner = literal.slice(1, -1);
  if (IPV4.test(inner)) return true;
  if (/^IPv6:/i.test(inner)) return isIpv6(inner.slice(5));
  return GENERAL_LITERAL.test(inner) && !/^IPv6:/i.test(inner);
}

function isIpv6(text: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return false;
  try {
    // The WHATWG URL parser implements the full IPv6 grammar, including embedded IPv4.
    return new URL(`http://[${text}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}
