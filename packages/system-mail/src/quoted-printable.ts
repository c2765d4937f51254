/** The longest encoded line RFC 2045 section 6.7 allows, soft-break `=` included. */
export const MAX_QP_LINE = 76;

function hex(byte: number): string {
  return `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

/**
 * Quoted-printable (RFC 2045 section 6.7) of text whose line breaks are
 * already CRLF: line breaks stay hard breaks, every other byte outside
 * printable ASCII (and `=`) is escaped, whitespace at a line's end is
 * escaped, and lines are cut with soft breaks to at most 76 characters,
 * never inside an escape.
 *
 * @param text - the text, CRLF line breaks.
 * @returns the encoded text, CRLF line breaks, no final line break added.
 */
export function encodeQuotedPrintable(text: string): string {
  const encoder = new TextEncoder();
  return text
    .split('\r\n')
    .map((line) => {
      const bytes = encoder.encode(line);
      const out: string[] = [];
      let current = '';
      bytes.forEach((byte, index) => {
        const last = index === bytes.length - 1;
        const literal = (byte >= 0x21 && byte <= 0x7e && byte !== 0x3d) || ((byte === 0x20 || byte === 0x09) && !last);
        const token = literal ? String.fromCharCode(byte) : hex(byte);
        // Leave room for the soft break's `=` unless this token ends the line.
        if (current.length + token.length > (last ? MAX_QP_LINE : MAX_QP_LINE - 1)) {
          out.push(`${current}=`);
          current = '';
        }
        current += token;
      });
      out.push(current);
      return out.join('\r\n');
    })
    .join('\r\n');
}
