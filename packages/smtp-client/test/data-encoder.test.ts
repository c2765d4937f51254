import { describe, expect, test } from 'vitest';
import { DataEncoder } from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function encode(chunks: string[], framing: 'data' | 'bdat' = 'data'): string {
  const encoder = new DataEncoder(framing);
  let out = '';
  for (const chunk of chunks) out += dec.decode(encoder.push(enc.encode(chunk)));
  return out + dec.decode(encoder.end());
}

describe('DataEncoder (DATA framing)', () => {
  test('passes CRLF text through and terminates it', () => {
    expect(encode(['Subject: x\r\n\r\nbody\r\n'])).toBe('Subject: x\r\n\r\nbody\r\n.\r\n');
  });

  test('adds a CRLF when the message does not end with one', () => {
    expect(encode(['body'])).toBe('body\r\n.\r\n');
  });

  test('sends only the terminator for an empty message', () => {
    expect(encode([])).toBe('.\r\n');
  });

  test('dot-stuffs lines starting with a dot, including the first', () => {
    expect(encode(['.a\r\n..b\r\nc.d\r\n.\r\n'])).toBe('..a\r\n...b\r\nc.d\r\n..\r\n.\r\n');
  });

  test('normalises bare LF and bare CR to CRLF', () => {
    expect(encode(['a\nb\rc\r\nd'])).toBe('a\r\nb\r\nc\r\nd\r\n.\r\n');
  });

  test.each([
    ['\\n.\\n', 'a\n.\nb'],
    ['\\r.\\r', 'a\r.\rb'],
    ['\\r\\n.\\r', 'a\r\n.\rb'],
    ['\\n.\\r\\n', 'a\n.\r\nb'],
    ['\\r.\\r\\n', 'a\r.\r\nb'],
    ['\\r\\n.\\n', 'a\r\n.\nb'],
  ])('never lets %s end the data (SMTP smuggling)', (_, message) => {
    const out = encode([message]);
    expect(out.indexOf('\r\n.\r\n')).toBe(out.length - 5);
    expect(out).toBe('a\r\n..\r\nb\r\n.\r\n');
  });

  test('treats a CR ending one chunk and an LF starting the next as one CRLF', () => {
    expect(encode(['a\r', '\nb'])).toBe('a\r\nb\r\n.\r\n');
    expect(encode(['a\r', '', '\n.b'])).toBe('a\r\n..b\r\n.\r\n');
  });

  test('flushes a trailing bare CR at the end', () => {
    expect(encode(['a\r'])).toBe('a\r\n.\r\n');
  });

  test('stuffs a dot at the start of a chunk that begins a line', () => {
    expect(encode(['a\r\n', '.b'])).toBe('a\r\n..b\r\n.\r\n');
  });

  test('counts the input bytes', () => {
    const encoder = new DataEncoder();
    encoder.push(enc.encode('abc\n'));
    expect(encoder.inputBytes).toBe(4);
  });
});

test('a change followed by unchanged runs of every length around where the encoder stops looking byte by byte', () => {
  for (let run = 100; run < 160; run++) {
    for (const tail of ['', 'b', '\n', '\r', '.', '\nb', '\rb', '\n.b', '\r\n.']) {
      const message = `x\n${'a'.repeat(run)}${tail}`;
      const normalised = message.replace(/\r\n|\r|\n/g, '\r\n');
      const withEnd = normalised.endsWith('\r\n') ? normalised : `${normalised}\r\n`;
      expect(encode([message], 'bdat')).toBe(withEnd);
      expect(encode([message], 'data')).toBe(`${withEnd.replace(/\r\n\./g, '\r\n..')}.\r\n`);
    }
  }
});

describe('DataEncoder (BDAT framing)', () => {
  test('normalises line ends without stuffing or terminator', () => {
    expect(encode(['.a\n.\rb'], 'bdat')).toBe('.a\r\n.\r\nb\r\n');
  });

  test('adds nothing to an empty message', () => {
    expect(encode([], 'bdat')).toBe('');
  });
});

