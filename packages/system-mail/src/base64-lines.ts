/** The base64 line length of RFC 2045 section 6.8. */
export const BASE64_LINE = 76;

/**
 * Base64 of bytes in lines of 76 characters (RFC 2045 section 6.8).
 *
 * @param bytes - the content.
 * @returns the encoded lines joined by CRLF, no final line break.
 */
export function encodeBase64Lines(bytes: Uint8Array): string {
  const encoded = Buffer.from(bytes).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += BASE64_LINE) lines.push(encoded.slice(i, i + BASE64_LINE));
  return lines.join('\r\n');
}
