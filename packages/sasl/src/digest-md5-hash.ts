import { createHash } from 'node:crypto';
import { concatBytes, utf8 } from './bytes.js';

/**
 * A string whose code points are bytes (U+0000..U+00FF), the form in which DIGEST-MD5
 * directive values travel through the parser; `Buffer.from(s, 'latin1')` gives the bytes.
 */
export type ByteString = string;

/** Turns text into the byte string of its wire encoding: UTF-8 under `charset=utf-8`, else ISO-8859-1. */
export function toByteString(text: string, utf8Charset: boolean): ByteString {
  return utf8Charset ? Buffer.from(utf8(text)).toString('latin1') : text;
}

/** Whether every character of `text` is in ISO-8859-1. */
export function isLatin1(text: string): boolean {
  return /^[\0-\xff]*$/.test(text);
}

/**
 * The bytes RFC 2831 section 2.1.2.1 hashes for a username, realm or password: ISO-8859-1
 * whenever the string fits in it (also under `charset=utf-8`), else UTF-8 when the server
 * announced `charset=utf-8`; undefined when the string cannot be represented. With the
 * `utf-8` encoding (Dovecot's reading), always UTF-8 under `charset=utf-8`.
 */
export function digestCredentialBytes(text: string, utf8Charset: boolean, encoding: 'rfc2831' | 'utf-8' = 'rfc2831'): Uint8Array | undefined {
  if (utf8Charset && encoding === 'utf-8') return utf8(text);
  if (isLatin1(text)) return new Uint8Array(Buffer.from(text, 'latin1'));
  return utf8Charset ? utf8(text) : undefined;
}

/** The values one DIGEST-MD5 `response` or `rspauth` is computed from. */
export interface DigestMd5Values {
  /** The hashed secret `H(username:realm:password)` with each part encoded per {@link digestCredentialBytes}. */
  readonly secret: Uint8Array;
  /** The server nonce. */
  readonly nonce: ByteString;
  /** The client nonce. */
  readonly cnonce: ByteString;
  /** The nonce count, eight hex digits. */
  readonly nc: ByteString;
  /** The quality of protection; always `auth` here. */
  readonly qop: ByteString;
  /** `service/host`. */
  readonly digestUri: ByteString;
  /** The authorization identity as UTF-8 bytes, when one was requested. */
  readonly authzid?: ByteString;
}

const md5 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('md5').update(data).digest());
const md5Hex = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');
const bytes = (s: ByteString): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** `H({ username-value, ":", realm-value, ":", passwd })`, or undefined when a part cannot be encoded. */
export function digestMd5Secret(
  username: string,
  realm: string,
  password: string,
  utf8Charset: boolean,
  encoding: 'rfc2831' | 'utf-8' = 'rfc2831',
): Uint8Array | undefined {
  const parts = [username, realm, password].map((text) => digestCredentialBytes(text, utf8Charset, encoding));
  if (parts.some((part) => part === undefined)) return undefined;
  const colon = new Uint8Array([0x3a]);
  const [u, r, p] = parts as [Uint8Array, Uint8Array, Uint8Array];
  return md5(concatBytes(u, colon, r, colon, p));
}

/**
 * The `response` value (client proof, A2 = `AUTHENTICATE:digest-uri`) or the `rspauth`
 * value (server proof, A2 = `:digest-uri`) of RFC 2831 section 2.1.2.1, in lower-case hex.
 */
export function digestMd5Proof(values: DigestMd5Values, kind: 'response' | 'rspauth'): string {
  const { secret, nonce, cnonce, nc, qop, digestUri, authzid } = values;
  const a1 = concatBytes(secret, bytes(`:${nonce}:${cnonce}${authzid === undefined ? '' : `:${authzid}`}`));
  const a2 = bytes(`${kind === 'response' ? 'AUTHENTICATE' : ''}:${digestUri}`);
  return md5Hex(bytes(`${md5Hex(a1)}:${nonce}:${nc}:${cnonce}:${qop}:${md5Hex(a2)}`));
}

/** Non-ASCII text whose every character fits in ISO-8859-1. */
const LATIN1_BEYOND_ASCII = /^(?=.*[\u0080-\u00ff])[\u0000-\u00ff]*$/su;

/**
 * Whether DIGEST-MD5's two readings of `charset=utf-8` (RFC 2831's ISO-8859-1 form and
 * Dovecot's UTF-8 bytes) hash these credentials differently: only when the username or the
 * password is non-ASCII and fits in ISO-8859-1 (`pässwörd`; not `€uro`, UTF-8 either way).
 *
 * @param credentials - the username and, for password credentials, the password
 * @returns true when the `digestMd5PasswordEncoding` context option changes the hash
 */
export function digestMd5EncodingMatters(credentials: { readonly username: string; readonly password?: string }): boolean {
  return LATIN1_BEYOND_ASCII.test(credentials.username) || (credentials.password !== undefined && LATIN1_BEYOND_ASCII.test(credentials.password));
}
