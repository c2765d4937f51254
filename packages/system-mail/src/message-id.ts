import { randomBytes } from 'node:crypto';
import { MessageCompositionError } from './errors.js';
import { assertNoLineBreaks } from './header-safety.js';

/**
 * A new Message-ID, `<time.random@domain>`: 128 random bits make it unique,
 * and the system address's domain says who made it (RFC 5322 section 3.6.4).
 *
 * @param domain - the domain of the system mail address.
 * @returns the id, angle brackets included.
 */
export function createMessageId(domain: string): string {
  return `<${Date.now().toString(36)}.${randomBytes(16).toString('hex')}@${domain}>`;
}

/**
 * Checks a caller-supplied Message-ID (`<left@right>`, brackets optional) and
 * returns it with brackets.
 *
 * @param id - the supplied id.
 * @returns the id, angle brackets included.
 * @throws MessageCompositionError `header-injection` or `message-id-invalid`.
 */
export function normaliseMessageId(id: string): string {
  assertNoLineBreaks(id, 'Message-ID');
  const bare = id.startsWith('<') && id.endsWith('>') ? id.slice(1, -1) : id;
  if (!/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+@(?:[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+|\[[\x21-\x5a\x5e-\x7e]*\])$/.test(bare)) {
    throw new MessageCompositionError('message-id-invalid', {
      ja: 'Message-IDの形式が正しくありません。',
      en: 'The Message-ID is not of the form <left@right>.',
    });
  }
  return `<${bare}>`;
}
