// A small MIME reader for what this package sends: unfolds headers, decodes
// RFC 2047 UTF-8 encoded words and quoted-printable / base64 bodies. The demo
// prints received messages with it and the tests use it as an oracle written
// independently of the composer (src/), which is why it is not part of the
// package: a reader the product shipped would have to handle any charset and
// any MIME structure, and the tests would lose their independent check. It
// throws on anything the composer never produces (incomplete UTF-8, an
// unknown transfer encoding), so a composer bug fails loudly.

export interface ParsedMessage {
  headers: [string, string][];
  body: string;
}

export function splitMessage(message: string): ParsedMessage {
  const end = message.indexOf('\r\n\r\n');
  const head = message.slice(0, end);
  const headers: [string, string][] = [];
  for (const field of head.split(/\r\n(?![ \t])/)) {
    const unfolded = field.replace(/\r\n(?=[ \t])/g, '');
    const colon = unfolded.indexOf(':');
    headers.push([unfolded.slice(0, colon), unfolded.slice(colon + 1).replace(/^ /, '')]);
  }
  return { headers, body: message.slice(end + 4) };
}

export function header(message: ParsedMessage, name: string): string | undefined {
  return message.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

const fatal = new TextDecoder('utf-8', { fatal: true });

/** Decodes one encoded word on its own; throws when its bytes are not complete UTF-8. */
export function decodeWord(word: string): string {
  const m = /^=\?UTF-8\?([BQ])\?([^?]*)\?=$/i.exec(word);
  if (!m) throw new Error(`not an encoded word: ${word}`);
  const [, enc, text] = m as unknown as [string, string, string];
  if (enc.toUpperCase() === 'B') return fatal.decode(Buffer.from(text, 'base64'));
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '_') bytes.push(0x20);
    else if (c === '=') {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c.charCodeAt(0));
  }
  return fatal.decode(Uint8Array.from(bytes));
}

/** RFC 2047 decoding of an unstructured value: whitespace between adjacent encoded words is dropped. */
export function decodeUnstructured(value: string): string {
  const tokens = value.split(/([ \t]+)/);
  let out = '';
  let previousWasWord = false;
  let pendingSpace = '';
  for (const token of tokens) {
    if (token === '') continue;
    if (/^[ \t]+$/.test(token)) {
      pendingSpace = token;
      continue;
    }
    const isWord = /^=\?UTF-8\?[BQ]\?[^?]*\?=$/i.test(token);
    if (!(isWord && previousWasWord)) out += pendingSpace;
    pendingSpace = '';
    out += isWord ? decodeWord(token) : token;
    previousWasWord = isWord;
  }
  return out + pendingSpace;
}

export function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const soft = text.replace(/=\r\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i] as string;
    if (c === '=') {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c.charCodeAt(0));
  }
  return fatal.decode(Uint8Array.from(bytes));
}

export function decodeBody(encoding: string | undefined, body: string): string {
  if (encoding === 'base64') return fatal.decode(Buffer.from(body.replace(/\r\n/g, ''), 'base64'));
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  throw new Error(`unexpected encoding ${encoding}`);
}
