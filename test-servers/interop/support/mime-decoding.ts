/**
 * Just enough MIME decoding to read back what `composeMessage` wrote: RFC 2047
 * encoded words in a header, and a quoted-printable or base64 body.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeQ(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] ?? '';
    if (ch === '_') bytes.push(0x20);
    else if (ch === '=') {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(ch.charCodeAt(0));
  }
  return new Uint8Array(bytes);
}

/**
 * Decodes RFC 2047 encoded words (UTF-8 only) in an unfolded header value;
 * white space between two adjacent encoded words is dropped (RFC 2047 §6.2).
 *
 * @param value - the header value
 * @returns the text
 */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_match, charset: string, encoding: string, text: string) => {
      if (charset.toLowerCase() !== 'utf-8') throw new Error(`Unexpected charset ${charset} in an encoded word.`);
      return utf8.decode(encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQ(text));
    });
}

/**
 * Decodes a body by its Content-Transfer-Encoding into UTF-8 text.
 *
 * @param body - the body bytes
 * @param transferEncoding - the header's value
 * @returns the text
 */
export function decodeBody(body: Uint8Array, transferEncoding: string | undefined): string {
  const encoding = (transferEncoding ?? '7bit').toLowerCase();
  const text = Buffer.from(body).toString('latin1');
  if (encoding === 'base64') return utf8.decode(Buffer.from(text, 'base64'));
  if (encoding === 'quoted-printable') {
    const joined = text.replace(/=\r\n/g, '');
    const bytes: number[] = [];
    for (let i = 0; i < joined.length; i += 1) {
      if (joined[i] === '=') {
        bytes.push(Number.parseInt(joined.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(joined.charCodeAt(i));
    }
    return utf8.decode(new Uint8Array(bytes));
  }
  return utf8.decode(body);
}
