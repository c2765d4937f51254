import { encodeWords, MAX_ENCODED_WORD } from './encoded-word.js';
import { foldHeader, MAX_HEADER_LINE } from './header-fold.js';
import { assertNoLineBreaks } from './header-safety.js';

/**
 * Room for the first encoded word after `Name: `; when too little is left
 * for a useful word, a full-size one is used and folding moves it to the next line.
 *
 * @param name - the header name.
 * @returns the longest first word.
 */
export function firstWordRoom(name: string): number {
  const room = MAX_HEADER_LINE - name.length - 2;
  return room >= 24 ? Math.min(room, MAX_ENCODED_WORD) : MAX_ENCODED_WORD;
}

/**
 * An unstructured header (Subject, custom headers), folded. Printable ASCII
 * that folds within 78 characters is kept as it is; anything else — non-ASCII,
 * control characters, a word too long to fold, text that looks like an
 * encoded word — is written as RFC 2047 encoded words.
 *
 * @param name - the header name.
 * @param value - the text.
 * @returns the header field without its final CRLF.
 * @throws MessageCompositionError `header-injection` for CR, LF or NUL.
 */
export function formatUnstructured(name: string, value: string): string {
  assertNoLineBreaks(value, name);
  if (/^[\x20-\x7e\t]*$/.test(value) && !value.includes('=?')) {
    const folded = foldHeader(name, value);
    if (folded.split('\r\n').every((line) => line.length <= MAX_HEADER_LINE)) return folded;
  }
  return foldHeader(name, encodeWords(value, firstWordRoom(name)).join(' '));
}
