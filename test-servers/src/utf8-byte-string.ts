/**
 * Re-spells a password as the string whose ISO-8859-1 encoding is the
 * password's UTF-8 bytes. `@sysmail/sasl`'s DIGEST-MD5 server half hashes
 * Latin-1-representable text as ISO-8859-1 (RFC 2831 §2.1.2.1), so handing it
 * this form makes it hash the UTF-8 bytes, which is what Dovecot does.
 *
 * @param password - the stored password, or undefined for an unknown user
 * @returns the byte string, or undefined
 */
export function asUtf8ByteString(password: string | undefined): string | undefined {
  return password === undefined ? undefined : Buffer.from(password, 'utf8').toString('latin1');
}
