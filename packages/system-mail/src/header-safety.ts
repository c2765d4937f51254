import { MessageCompositionError } from './errors.js';

// Everything the composer derives from itself; letting a caller set one would
// forge the sender, add hidden recipients or break the MIME structure.
const RESERVED = new Set(['from', 'sender', 'to', 'cc', 'bcc', 'subject', 'date', 'message-id', 'mime-version', 'return-path']);

/** The longest header name accepted, so that `Name:` always fits a 78-character line. */
export const MAX_HEADER_NAME_LENGTH = 76;

/**
 * Refuses text that would end a header line early: CR or LF would let the
 * text start a header (or the body) of its own, and NUL is not allowed in mail.
 *
 * @param value - text destined for a header.
 * @param what - what the text is, for the message.
 * @throws MessageCompositionError `header-injection`.
 */
export function assertNoLineBreaks(value: string, what: string): void {
  if (/[\r\n\0]/.test(value)) {
    throw new MessageCompositionError('header-injection', {
      ja: `${what}に改行文字またはNUL文字が含まれています。ヘッダーインジェクションを防ぐため、送信できません。`,
      en: `${what} contains CR, LF or NUL; refused to prevent header injection.`,
    });
  }
}

/**
 * Checks a custom header's name: printable ASCII without colon, at most
 * {@link MAX_HEADER_NAME_LENGTH} characters, and not one the composer sets itself.
 *
 * @param name - the header name.
 * @throws MessageCompositionError `header-injection`, `header-name-invalid` or `header-reserved`.
 */
export function assertCustomHeaderName(name: string): void {
  assertNoLineBreaks(name, `Header name "${name.replace(/[\r\n\0]/g, ' ')}"`);
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name) || name.length > MAX_HEADER_NAME_LENGTH) {
    throw new MessageCompositionError('header-name-invalid', {
      ja: `ヘッダー名「${name}」が正しくありません。`,
      en: `"${name}" is not a valid header name.`,
    });
  }
  const lower = name.toLowerCase();
  if (RESERVED.has(lower) || lower.startsWith('content-')) {
    throw new MessageCompositionError('header-reserved', {
      ja: `ヘッダー「${name}」は自動で設定されるため、指定できません。`,
      en: `The header "${name}" is set by the composer and cannot be overridden.`,
    });
  }
}
