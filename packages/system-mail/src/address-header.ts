import { MessageCompositionError } from './errors.js';
import { encodeWords } from './encoded-word.js';
import { assertNoLineBreaks } from './header-safety.js';
import { isValidMailbox } from './mailbox-syntax.js';

/** A mailbox: an address and an optional display name. */
export interface Mailbox {
  /** The address (RFC 5321 mailbox, ASCII). */
  readonly address: string;
  /** The display name, any Unicode text. */
  readonly name?: string;
}

const ATEXT_WORDS = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?: [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;

/**
 * Checks an address for use in a header or the envelope.
 *
 * @param address - the address.
 * @param what - which address it is, for the message.
 * @returns the address.
 * @throws MessageCompositionError `header-injection` or `address-invalid`.
 */
export function checkAddress(address: string, what: string): string {
  assertNoLineBreaks(address, what);
  if (!isValidMailbox(address)) {
    throw new MessageCompositionError('address-invalid', {
      ja: `${what}のメールアドレスが正しくありません。`,
      en: `${what}: not a valid mail address.`,
    });
  }
  return address;
}

/**
 * A display name as an RFC 5322 phrase: plain atoms when it is made of them,
 * a quoted string for other printable ASCII, RFC 2047 encoded words otherwise
 * (and for text that would read as an encoded word).
 *
 * @param name - the display name.
 * @param firstMax - room for the first encoded word on the header's first line.
 * @returns the phrase.
 */
export function formatPhrase(name: string, firstMax: number): string {
  if (ATEXT_WORDS.test(name) && !name.includes('=?')) return name;
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name.replace(/(["\\])/g, '\\$1')}"`;
  return encodeWords(name, firstMax).join(' ');
}

/**
 * A mailbox as it appears in an address header: `name <address>`, or the bare
 * address without a name.
 *
 * @param mailbox - the mailbox.
 * @param what - which mailbox it is, for messages.
 * @param firstMax - room for the first encoded word of the name.
 * @returns the header text.
 */
export function formatMailbox(mailbox: Mailbox, what: string, firstMax: number): string {
  const address = checkAddress(mailbox.address, what);
  const name = mailbox.name ?? '';
  assertNoLineBreaks(name, `${what} display name`);
  if (name.trim() === '') return address;
  return `${formatPhrase(name, firstMax)} <${address}>`;
}
