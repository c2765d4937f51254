import { randomBytes } from 'node:crypto';

/**
 * A random multipart boundary that occurs in none of the parts. The `=_`
 * prefix cannot appear in quoted-printable or base64 output anyway; the check
 * makes the guarantee independent of how the parts were encoded.
 *
 * @param parts - the encoded parts the boundary will separate.
 * @returns the boundary, without the leading `--`.
 */
export function createBoundary(parts: readonly string[]): string {
  for (;;) {
    const boundary = `=_sysmail_${randomBytes(16).toString('hex')}`;
    if (!parts.some((part) => part.includes(boundary))) return boundary;
  }
}
