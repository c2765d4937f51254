/** The longest encoded word RFC 2047 allows (section 2). */
export const MAX_ENCODED_WORD = 75;

const OVERHEAD = '=?UTF-8?B??='.length;
const encoder = new TextEncoder();

// Characters left as they are in Q encoding: the set RFC 2047 section 5(3)
// allows even in a phrase, so the same words serve Subject and display names.
function qSafe(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) ||
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    byte === 0x21 ||
    byte === 0x2a ||
    byte === 0x2b ||
    byte === 0x2d ||
    byte === 0x2f
  );
}

function qEncode(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    if (byte === 0x20) out += '_';
    else if (qSafe(byte)) out += String.fromCharCode(byte);
    else out += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function qLength(bytes: Uint8Array): number {
  let n = 0;
  for (const byte of bytes) n += byte === 0x20 || qSafe(byte) ? 1 : 3;
  return n;
}

const bLength = (byteCount: number): number => Math.ceil(byteCount / 3) * 4;

/** How the words of one header are encoded: whichever of B and Q is shorter for the whole text. */
export type WordEncoding = 'B' | 'Q';

/**
 * Picks B or Q for a text: the one giving the shorter result (Q on a tie,
 * being readable), so mostly-ASCII text stays legible and Japanese stays compact.
 *
 * @param text - the text to encode.
 * @returns the encoding.
 */
export function chooseWordEncoding(text: string): WordEncoding {
  const bytes = encoder.encode(text);
  return qLength(bytes) <= bLength(bytes.length) ? 'Q' : 'B';
}

/**
 * Encodes text as RFC 2047 encoded words in UTF-8. Words are cut between
 * characters (code points), never inside one, so each word decodes on its own.
 *
 * @param text - the text.
 * @param firstMax - the longest the first word may be (room left on the header's first line).
 * @param encoding - B or Q; by default the shorter.
 * @returns the words, to be separated by single spaces (which decoders drop between words).
 */
export function encodeWords(text: string, firstMax: number = MAX_ENCODED_WORD, encoding: WordEncoding = chooseWordEncoding(text)): string[] {
  const words: string[] = [];
  let pending: number[] = [];
  const lengthOf = (bytes: number[]): number =>
    OVERHEAD + (encoding === 'B' ? bLength(bytes.length) : qLength(Uint8Array.from(bytes)));
  const flush = (): void => {
    const bytes = Uint8Array.from(pending);
    const body = encoding === 'B' ? Buffer.from(bytes).toString('base64') : qEncode(bytes);
    words.push(`=?UTF-8?${encoding}?${body}?=`);
    pending = [];
  };
  for (const char of text) {
    const bytes = [...encoder.encode(char)];
    const max = words.length === 0 ? firstMax : MAX_ENCODED_WORD;
    if (pending.length > 0 && lengthOf([...pending, ...bytes]) > max) flush();
    pending.push(...bytes);
  }
  if (pending.length > 0 || words.length === 0) flush();
  return words;
}
