import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DataEncoder } from '@sysmail/smtp-client';
import { campaign, fragments, HEAVY_RUNS } from './fuzz-runs.js';

const lineBytes = fc
  .array(fc.oneof(fc.constantFrom('\r', '\n', '\r\n', '.', '..', '.\r\n', '\n.\n', '\r.\r', 'a', '\0', '\xff'), fc.string({ maxLength: 5 })), { maxLength: 60 })
  .map((parts) => new Uint8Array(Buffer.from(parts.join(''), 'latin1')));

function encode(framing: 'data' | 'bdat', pieces: Uint8Array[]): Buffer {
  const encoder = new DataEncoder(framing);
  const out = pieces.map((piece) => Buffer.from(encoder.push(piece)));
  out.push(Buffer.from(encoder.end()));
  return Buffer.concat(out);
}

/** Every bare CR and bare LF as CRLF, and a final CRLF: what the server must receive. */
function normalised(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('latin1').replace(/\r\n|\r|\n/g, '\r\n');
  return text === '' || text.endsWith('\r\n') ? text : `${text}\r\n`;
}

describe('DATA encoder and BDAT framing', () => {
  test('DATA: only CRLF line ends, the end-of-data sequence only at the end, un-stuffing restores the normalised message', () => {
    campaign(
      fc.property(lineBytes, fc.array(fc.nat(), { maxLength: 5 }), (message, cuts) => {
        const wire = encode('data', fragments(message, cuts)).toString('latin1');
        expect(/\r(?!\n)|(?<!\r)\n/.test(wire)).toBe(false);
        expect(wire.endsWith('.\r\n')).toBe(true);
        const body = wire.slice(0, -3);
        expect(`\r\n${body}`.includes('\r\n.\r\n')).toBe(false);
        const unstuffed = body.split('\r\n').map((line) => (line.startsWith('.') ? line.slice(1) : line)).join('\r\n');
        expect(unstuffed).toBe(normalised(message));
      }),
    );
  });

  test('BDAT: no stuffing, exactly the normalised message', () => {
    campaign(
      fc.property(lineBytes, fc.array(fc.nat(), { maxLength: 5 }), (message, cuts) => {
        expect(encode('bdat', fragments(message, cuts)).toString('latin1')).toBe(normalised(message));
      }),
    );
  });

  test('messages of several hundred KiB, CRLF text with a few bytes changed anywhere, encode like the reference in any fragmentation', () => {
    const message = fc
      .record({
        length: fc.integer({ min: 1, max: 400 * 1024 }),
        lineBytes: fc.integer({ min: 2, max: 200 }),
        edits: fc.array(fc.record({ at: fc.nat(), byte: fc.constantFrom(0x0d, 0x0a, 0x2e, 0x00, 0xff) }), { maxLength: 6 }),
      })
      .map(({ length, lineBytes, edits }) => {
        const bytes = new Uint8Array(length).fill(0x61);
        for (let end = lineBytes; end <= length; end += lineBytes) bytes.set([0x0d, 0x0a], end - 2);
        for (const { at, byte } of edits) bytes[at % length] = byte;
        return bytes;
      });
    campaign(
      fc.property(message, fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        const pieces = fragments(bytes, cuts);
        expect(encode('bdat', pieces).toString('latin1')).toBe(normalised(bytes));
        const body = encode('data', pieces).toString('latin1').slice(0, -3);
        expect(`\r\n${body}`.includes('\r\n.\r\n')).toBe(false);
        expect(body.split('\r\n').map((line) => (line.startsWith('.') ? line.slice(1) : line)).join('\r\n')).toBe(normalised(bytes));
      }),
      HEAVY_RUNS,
    );
  });

  test('1 MiB without a line end streams through in bounded output per chunk', () => {
    campaign(
      fc.property(fc.integer({ min: 1024, max: 256 * 1024 }), (chunk) => {
        const encoder = new DataEncoder('data');
        for (let fed = 0; fed < 1024 * 1024; fed += chunk) expect(encoder.push(new Uint8Array(chunk).fill(0x61)).length).toBe(chunk);
        expect(Buffer.from(encoder.end()).toString('latin1')).toBe('\r\n.\r\n');
      }),
      HEAVY_RUNS,
    );
  });
});
