import { decodeLatin1, decodeUtf8 } from './bytes.js';
import type { ByteString } from './digest-md5-hash.js';

/** One `name=value` directive of a DIGEST-MD5 challenge or response (RFC 2831 section 7.1). */
export interface DigestDirective {
  /** The directive name, lower-cased (names are case-insensitive). */
  readonly name: string;
  /** The value, with quoted-string escapes removed. */
  readonly value: string;
}

const SEPARATORS = '()<>@,;:\\"/[]?={} \t';

function isTokenChar(char: string): boolean {
  const code = char.charCodeAt(0);
  return code > 31 && code < 127 && !SEPARATORS.includes(char);
}

function isSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\t' || char === '\r' || char === '\n';
}

/**
 * Parses the comma list of directives RFC 2831 uses, on a string whose code points are
 * the message's bytes (see `decodeLatin1`), so that no byte sequence can make decoding fail:
 * `#( token "=" ( token | quoted-string ) )` with optional white space and empty elements,
 * quoted strings with `\` escapes.
 * @returns the directives in order, or undefined when the text does not follow the grammar
 */
export function parseDigestDirectives(text: string): DigestDirective[] | undefined {
  const directives: DigestDirective[] = [];
  let i = 0;
  const skipSpace = (): void => {
    while (isSpace(text[i])) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < text.length && isTokenChar(text[i] ?? '')) i++;
    return text.slice(start, i);
  };
  for (;;) {
    skipSpace();
    if (i === text.length) return directives;
    if (text[i] === ',') {
      i++;
      continue;
    }
    const name = readToken();
    if (name === '') return undefined;
    skipSpace();
    if (text[i] !== '=') return undefined;
    i++;
    skipSpace();
    let value: string;
    if (text[i] === '"') {
      i++;
      value = '';
      for (;;) {
        const char = text[i];
        if (char === undefined) return undefined;
        i++;
        if (char === '"') break;
        if (char === '\\') {
          const escaped = text[i];
          if (escaped === undefined) return undefined;
          value += escaped;
          i++;
        } else {
          value += char;
        }
      }
    } else {
      value = readToken();
      if (value === '') return undefined;
    }
    directives.push({ name: name.toLowerCase(), value });
    skipSpace();
    if (i === text.length) return directives;
    if (text[i] !== ',') return undefined;
    i++;
  }
}

/** Quotes a value as an RFC 2831 quoted-string, escaping `"` and `\`. */
export function quoteDigestValue(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** Directives that RFC 2831 allows at most once. */
const SINGLE_DIRECTIVES = ['nonce', 'qop', 'charset', 'algorithm', 'maxbuf', 'stale', 'cipher', 'rspauth', 'username', 'cnonce', 'nc', 'digest-uri', 'response', 'authzid'];

/** Parses directives and indexes them, refusing duplicates of the directives that may appear once. */
export function readDirectives(message: Uint8Array): { all: DigestDirective[]; single: Map<string, string> } | undefined {
  const all = parseDigestDirectives(decodeLatin1(message));
  if (all === undefined) return undefined;
  const single = new Map<string, string>();
  for (const { name, value } of all) {
    if (name === 'realm') continue;
    if (single.has(name) && SINGLE_DIRECTIVES.includes(name)) return undefined;
    single.set(name, value);
  }
  return { all, single };
}

/** Decodes a directive value carrying text (username, realm) per the negotiated charset. */
export function decodeDirectiveText(value: ByteString, utf8Charset: boolean): string {
  return utf8Charset ? decodeUtf8(new Uint8Array(Buffer.from(value, 'latin1'))) : value;
}
