import { fc, test } from '@fast-check/vitest';
import { beforeEach, describe, expect, vi } from 'vitest';
import { DataEncoder } from '../src/index.js';
import type { FirstChange } from '../src/protocol/content-scan.js';
import { normalisedSize } from '../src/protocol/data-encoder.js';

/**
 * Which scan the encoder uses: the one it picks itself depends on how many
 * bytes the process has scanned, so each property runs with each, chosen here.
 */
const scan = vi.hoisted(() => ({ kernel: false }));
vi.mock('../src/protocol/content-scan.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/protocol/content-scan.js')>();
  const kernel = original.createFirstChangeWasm() as FirstChange;
  const firstChange: FirstChange = (chunk, previous, stuff) => (scan.kernel ? kernel : original.firstChangeJs)(chunk, previous, stuff);
  return { ...original, firstChange };
});

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

/**
 * Mostly clean CRLF text, where the encoder skips whole words and hands chunks
 * back unchanged, with a few bytes that need it (a bare CR or LF, a leading dot,
 * 8-bit bytes) at any position, placed at any alignment in its buffer.
 */
const mostlyCleanArb = fc
  .record({
    lines: fc.array(fc.string({ unit: fc.constantFrom('a', 'b', ' ', '.', '\t'), maxLength: 90 }), { minLength: 1, maxLength: 40 }),
    edits: fc.array(fc.record({ at: fc.nat(), byte: fc.constantFrom(0x0d, 0x0a, 0x2e, 0xe9) }), { maxLength: 3 }),
    offset: fc.nat({ max: 7 }),
  })
  .map(({ lines, edits, offset }) => {
    const clean = Buffer.from(lines.join('\r\n'), 'latin1');
    for (const { at, byte } of edits) if (clean.length > 0) clean[at % clean.length] = byte;
    const buffer = new Uint8Array(offset + clean.length);
    buffer.set(clean, offset);
    return buffer.subarray(offset);
  });

/** Lines of any length ended by LF, CR or CRLF, some starting with a dot: a change on most lines, and runs of any length between. */
const lineEndsArb = fc
  .array(fc.tuple(fc.string({ unit: fc.constantFrom('a', 'b', '.'), maxLength: 300 }), fc.constantFrom('\n', '\r', '\r\n')), { maxLength: 30 })
  .map((lines) => Uint8Array.from(Buffer.from(lines.map(([text, end]) => text + end).join(''), 'latin1')));

describe.each([
  ['JS', false],
  ['WebAssembly', true],
])('with the %s scan', (_, kernel) => {
  beforeEach(() => {
    scan.kernel = kernel;
  });

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

  test.prop([mostlyCleanArb, fc.array(fc.nat(), { maxLength: 6 })])(
    'mostly clean text, at any alignment and chunking, encodes like the reference in both framings',
    (message, cuts) => {
      expect(Buffer.from(encodeAll(chunked(message, cuts), 'bdat')).equals(normalise(message))).toBe(true);
      expect(unstuff(Buffer.from(encodeAll(chunked(message, cuts), 'data'))).equals(normalise(message))).toBe(true);
      expect(normalisedSize(message)).toBe(normalise(message).length);
    },
  );

  test.prop([lineEndsArb, fc.array(fc.nat(), { maxLength: 6 })])('text with any line ends encodes like the reference in both framings, for any chunking', (message, cuts) => {
    expect(Buffer.from(encodeAll(chunked(message, cuts), 'bdat')).equals(normalise(message))).toBe(true);
    expect(unstuff(Buffer.from(encodeAll(chunked(message, cuts), 'data'))).equals(normalise(message))).toBe(true);
  });

  test.prop([mostlyCleanArb])('a chunk that needs no change is handed back as it is, and one that does is not', (message) => {
    // A CR ending the chunk is passed on: its LF may start the next one.
    const decided = message.at(-1) === 0x0d ? message.subarray(0, -1) : message;
    expect(new DataEncoder('bdat').push(message) === message).toBe(!hasBareCrOrLf(Buffer.from(decided)));
  });
});
