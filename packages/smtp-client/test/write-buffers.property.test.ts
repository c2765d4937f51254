import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { WriteBuffers } from '../src/write-buffers.js';

const encoder = new TextEncoder();

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

/** Command text (ASCII or not) or message bytes, of sizes around a small capacity. */
const appendArb = fc.oneof(
  fc.record({ text: fc.string({ unit: 'grapheme', maxLength: 40 }) }),
  fc.record({ bytes: fc.uint8Array({ maxLength: 200 }) }),
);

test.prop([fc.integer({ min: 8, max: 128 }), fc.array(appendArb, { maxLength: 40 }), fc.array(fc.nat({ max: 39 }), { maxLength: 3 })])(
  'takes out exactly the bytes appended, in order, in pieces no larger than the capacity but for single large appends',
  (capacity, appends, takeAfter) => {
    const buffers = new WriteBuffers(capacity);
    const expected: Uint8Array[] = [];
    const taken: Uint8Array[] = [];
    appends.forEach((append, index) => {
      const bytes = 'text' in append ? encoder.encode(append.text) : append.bytes;
      if ('text' in append) buffers.text(append.text);
      else buffers.bytes(append.bytes);
      expected.push(bytes);
      if (takeAfter.includes(index)) taken.push(...buffers.take());
    });
    const rest = buffers.take();
    taken.push(...rest);
    expect(concat(taken)).toEqual(concat(expected));
    for (const piece of taken) {
      expect(piece.length).toBeGreaterThan(0);
      // Only one append too large for a buffer goes out as a piece of its own.
      if (piece.length > capacity) expect(expected.some((bytes) => bytes.length === piece.length && bytes.every((byte, i) => byte === piece[i]))).toBe(true);
    }
    expect(buffers.take()).toEqual([]);
  },
);

test('keeps bytes of at least the capacity by reference, and copies smaller ones', () => {
  const buffers = new WriteBuffers(16);
  const large = new Uint8Array(16).fill(1);
  const small = new Uint8Array(4).fill(2);
  buffers.text('BDAT 20 LAST\r\n');
  buffers.bytes(large);
  buffers.bytes(small);
  const pieces = buffers.take();
  expect(pieces).toHaveLength(3);
  expect(pieces[1]).toBe(large);
  expect(pieces[2]).not.toBe(small);
  expect(pieces[2]).toEqual(small);
});
