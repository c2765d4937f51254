/** The line length RFC 5322 recommends (section 2.1.1), CRLF excluded. */
export const MAX_HEADER_LINE = 78;

/**
 * Folds `Name: value` into lines of at most {@link MAX_HEADER_LINE}
 * characters (RFC 5322 section 2.2.3) by inserting CRLF before whitespace
 * that precedes a non-whitespace character, so unfolding restores the value
 * exactly and no continuation line is whitespace only. A token longer than a
 * line keeps a line of its own; callers avoid producing any.
 *
 * @param name - the header name.
 * @param value - the header value, already encoded (ASCII, no CR or LF).
 * @returns the header field without its final CRLF.
 */
export function foldHeader(name: string, value: string): string {
  const line = `${name}: ${value}`;
  const lines: string[] = [];
  let start = 0;
  let lastBreak = -1;
  for (let i = name.length + 1; i < line.length; i++) {
    const c = line[i];
    const next = line[i + 1];
    if ((c === ' ' || c === '\t') && next !== undefined && next !== ' ' && next !== '\t') {
      if (i - start > MAX_HEADER_LINE && lastBreak > start) {
        lines.push(line.slice(start, lastBreak));
        start = lastBreak;
      }
      lastBreak = i;
    }
  }
  if (line.length - start > MAX_HEADER_LINE && lastBreak > start) {
    lines.push(line.slice(start, lastBreak));
    start = lastBreak;
  }
  lines.push(line.slice(start));
  return lines.join('\r\n');
}
