import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { parseStatusLine, Pop3ProtocolError, type StatusLine } from '@sysmail/pop3-client';

/** The parser as it was written with regular expressions: the reference the code-by-code one must match. */
function referenceParse(line: string): StatusLine | 'malformed' {
  const ok = /^\+OK(?=$|[ \t])/i.exec(line);
  const err = ok === null ? /^-ERR(?=$|[ \t])/i.exec(line) : null;
  if (ok !== null || err !== null) {
    const rest = line.slice((ok ?? err)?.[0].length ?? 0).replace(/^[ \t]/, '');
    const code = /^\[([\x21-\x2e\x30-\x5c\x5e-\x7e]+(?:\/[\x21-\x2e\x30-\x5c\x5e-\x7e]+)*)\]\s*/.exec(rest);
    return { type: ok !== null ? 'ok' : 'err', code: code?.[1]?.toUpperCase(), text: code === null ? rest : rest.slice(code[0].length), line };
  }
  if (line === '+' || line.startsWith('+ ')) return { type: 'continuation', text: line.slice(2).trim(), line };
  return 'malformed';
}

describe('parseStatusLine against its regular-expression reference', () => {
  const prefix = fc.constantFrom('+OK', '+ok', '+oK', '-ERR', '-err', '-ErR', '+', '-', '+O', '-ER', '+K', '', '+OK\u212a', '-ERR\u0130');
  const piece = fc.constantFrom(' ', '\t', '  ', '[', ']', '[IN-USE]', '[SYS/TEMP]', '[a/b/c]', '[]', '[x y]', '/', '\u00e9', '\r', '\0', 'K', 'R');
  const tail = fc.array(fc.oneof(piece, fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 3 })), { maxLength: 6 }).map((parts) => parts.join(''));

  test.prop([prefix, tail])('gives the same result for any line', (head, rest) => {
    const line = head + rest;
    const expected = referenceParse(line);
    if (expected === 'malformed') expect(() => parseStatusLine(Buffer.from(line))).toThrow(Pop3ProtocolError);
    else expect(parseStatusLine(Buffer.from(line))).toEqual(expected);
  });

  test.prop([fc.uint8Array({ maxLength: 24 })])('gives the same result for any bytes', (bytes) => {
    const line = new TextDecoder().decode(bytes);
    const expected = referenceParse(line);
    if (expected === 'malformed') expect(() => parseStatusLine(bytes)).toThrow(Pop3ProtocolError);
    else expect(parseStatusLine(bytes)).toEqual(expected);
  });
});
