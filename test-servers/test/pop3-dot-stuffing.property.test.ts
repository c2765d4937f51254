import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { DotStuffer, stuffMessage, topCut } from '../src/pop3/dot-stuffing.js';

/** Bytes rich in the characters that matter: '.', CR, LF. */
const messageBytes = fc
  .array(fc.oneof(fc.constantFrom(0x2e, 0x0d, 0x0a), fc.integer({ min: 0, max: 255 })), { maxLength: 200 })
  .map((bytes) => Uint8Array.from(bytes));

function cutAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const cuts = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of cuts) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

function unstuff(wire: Buffer): Buffer {
  return Buffer.from(wire.toString('latin1').replace(/(^|\n)\./g, '$1'), 'latin1');
}

describe('fake POP3 server: dot-stuffing', () => {
  test.prop([messageBytes, fc.array(fc.nat(), { maxLength: 8 })])('streams to the same bytes under any chunking', (message, offsets) => {
    const stuffer = new DotStuffer();
    const streamed = Buffer.concat([...cutAt(message, offsets).map((piece) => stuffer.push(piece)), stuffer.finish()]);
    expect(streamed).toEqual(Buffer.from(stuffMessage(message)));
  });

  test.prop([messageBytes])('ends in CRLF, so the terminator is found exactly at the end, and unstuffs back', (message) => {
    const wire = Buffer.from(stuffMessage(message));
    if (message.length === 0) {
      expect(wire.length).toBe(0);
      return;
    }
    const framed = Buffer.concat([wire, Buffer.from('.\r\n')]);
    expect(framed.subarray(-5).toString('latin1')).toBe('\r\n.\r\n');
    expect(framed.indexOf('\r\n.\r\n')).toBe(framed.length - 5);
    expect(framed.indexOf('.\r\n')).not.toBe(0);
    const expected = Buffer.from(message);
    const unstuffed = unstuff(wire);
    expect(unstuffed.subarray(0, expected.length)).toEqual(expected);
    expect(unstuffed.length - expected.length).toBeLessThanOrEqual(2);
  });

  test.prop([fc.array(fc.stringMatching(/^[a-z.]{0,5}$/), { maxLength: 6 }), fc.array(fc.stringMatching(/^[a-z.]{0,5}$/), { maxLength: 6 }), fc.nat(8)])(
    'cuts TOP after the header, the blank line and n body lines',
    (header, body, lines) => {
      const headerLines = header.filter((line) => line.length > 0);
      const message = Buffer.from([...headerLines, '', ...body].map((line) => `${line}\r\n`).join(''));
      const kept = [...headerLines, '', ...body.slice(0, lines)].map((line) => `${line}\r\n`).join('');
      expect(message.subarray(0, topCut(message, lines) ?? message.length).toString()).toBe(kept);
    },
  );
});
