import { encodeBase64Lines } from './base64-lines.js';
import { encodeQuotedPrintable } from './quoted-printable.js';

/** A text body ready for a MIME part: its transfer encoding and encoded content. */
export interface EncodedBody {
  /** The Content-Transfer-Encoding. */
  readonly encoding: 'quoted-printable' | 'base64';
  /** The encoded content: ASCII, CRLF line breaks, lines of at most 76 characters. */
  readonly content: string;
}

/**
 * Normalises line breaks to CRLF and encodes the UTF-8 text with whichever
 * of quoted-printable and base64 is shorter: quoted-printable for mostly-ASCII
 * text (it stays readable), base64 for mostly non-ASCII text such as Japanese,
 * which quoted-printable would triple.
 *
 * @param text - the body text, any line breaks.
 * @returns the encoding and the encoded content.
 */
export function encodeTextBody(text: string): EncodedBody {
  const normalised = text.replace(/\r\n|\r|\n/g, '\r\n');
  const qp = encodeQuotedPrintable(normalised);
  const base64 = encodeBase64Lines(new TextEncoder().encode(normalised));
  return qp.length <= base64.length ? { encoding: 'quoted-printable', content: qp } : { encoding: 'base64', content: base64 };
}
