/**
 * Encodes text as RFC 3461 xtext (for the DSN parameters ENVID and ORCPT):
 * printable ASCII except `+` and `=` stays, every other byte of its UTF-8 form
 * becomes `+XX` with upper-case hex.
 *
 * @param text - the value
 * @returns the xtext form
 */
export function encodeXtext(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    out += byte >= 0x21 && byte <= 0x7e && byte !== 0x2b && byte !== 0x3d ? String.fromCharCode(byte) : `+${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

