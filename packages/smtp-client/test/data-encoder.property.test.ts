import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { DataEncoder } from '../src/index.js';
import { normalisedSize } from '../src/protocol/data-encoder.js';

/** Bytes rich in CR, LF and dots, where smuggling bugs live. */
const messageArb = fc.array(fc.oneof(fc.constantFrom(0x0d, 0x0a, 0x2e), fc.integer({ min: 0, max: 255 })), { maxLength: 400 }).map((b) => Uint8Array.from(b));

function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(start, point));
    start = point;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

function encodeAll(pieces: Uint8Array[], framing: 'data' | 'bdat'): Uint8Array {
  const encoder = new DataEncoder(framing);
  const out = [...pieces.map((piece) => Buffer.from(encoder.push(piece))), Buffer.from(encoder.end())];
  return Buffer.concat(out);
}

/** The reference normalisation: CRLF, then lone CR, then lone LF, each to CRLF; plus a final CRLF when missing. */
function normalise(bytes: Uint8Array): Buffer {
  const text = Buffer.from(bytes).toString('latin1').replace(/\r\n|\r|\n/g, '\r\n');
  return Buffer.from(text.length === 0 || text.endsWith('\r\n') ? text : `${text}\r\n`, 'latin1');
}

function hasBareCrOrLf(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a) return true;
    if (bytes[i] === 0x0a && bytes[i - 1] !== 0x0d) return true;
  }
  return false;
}

function unstuff(encoded: Buffer): Buffer {
  const text = encoded.toString('latin1');
  expect(text.endsWith('.\r\n')).toBe(true);
  const body = text.slice(0, -3);
  return Buffer.from(body.split('\r\n').map((line) => (line.startsWith('.') ? line.slice(1) : line)).join('\r\n'), 'latin1');
}

test.prop([messageArb, fc.array(fc.nat(), { maxLength: 20 })])(
  'DATA output has no bare CR/LF, one end-of-data at the very end, and un-stuffs to the CRLF-normalised input, for any chunking',
  (message, cuts) => {
    const encoded = Buffer.from(encodeAll(chunked(message, cuts), 'data'));
    expect(hasBareCrOrLf(encoded)).toBe(false);
    const withLeadingCrlf = Buffer.concat([Buffer.from('\r\n'), encoded]);
    expect(withLeadingCrlf.indexOf('\r\n.\r\n')).toBe(withLeadingCrlf.length - 5);
    expect(unstuff(encoded).equals(normalise(message))).toBe(true);
    expect(encoded.equals(Buffer.from(encodeAll([message], 'data')))).toBe(true);
  },
);

test.prop([messageArb, fc.array(fc.nat(), { maxLength: 20 })])('BDAT output is the CRLF-normalised input, for any chunking', (message, cuts) => {
  const encoded = Buffer.from(encodeAll(chunked(message, cuts), 'bdat'));
  expect(hasBareCrOrLf(encoded)).toBe(false);
  expect(encoded.equals(normalise(message))).toBe(true);
});

test.prop([messageArb])('normalisedSize is the size of the CRLF-normalised message', (message) => {
  expect(normalisedSize(message)).toBe(normalise(message).length);
});
