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
