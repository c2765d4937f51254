import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MAX_REPLY_BYTES, MAX_REPLY_LINE_BYTES, parseCapabilities, ReplyParser, SmtpProtocolError, type SmtpReply } from '@sysmail/smtp-client';
import { campaign, fragments, HEAVY_RUNS, protocolBytes } from './fuzz-runs.js';

const REPLY_TOKENS = ['250', '250-', '250 ', '220 ', '354 ', '421 ', '550-', '5.7.1 ', '2.0.0', '\r\n', '\n', '\r', ' ', '-', 'AUTH', 'AUTH=', 'SIZE', ' 0', ' 99999999999999999999', 'STARTTLS', 'PIPELINING', '\0', '\xff'];

/** Feeds pieces; returns the replies taken, or the protocol error that ended the parse. */
function parse(pieces: Uint8Array[]): { replies: SmtpReply[]; error?: SmtpProtocolError } {
  const parser = new ReplyParser();
  const replies: SmtpReply[] = [];
  try {
    for (const piece of pieces) {
      parser.push(piece);
      for (let reply = parser.next(); reply !== undefined; reply = parser.next()) replies.push(reply);
      // Bounded: what it holds never exceeds the largest reply plus one line.
      expect(parser.bufferedBytes).toBeLessThanOrEqual(MAX_REPLY_BYTES + MAX_REPLY_LINE_BYTES + 2 + piece.length);
    }
  } catch (error) {
    if (!(error instanceof SmtpProtocolError)) throw error;
    return { replies, error };
  }
  return { replies };
}

describe('SMTP reply parser and EHLO parser', () => {
  test('arbitrary bytes in any fragmentation: replies or SmtpProtocolError, the same whatever the fragmentation', () => {
    campaign(
      fc.property(protocolBytes(REPLY_TOKENS), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        const whole = parse([bytes]);
        const split = parse(fragments(bytes, cuts));
        expect(split.error === undefined).toBe(whole.error === undefined);
        // A push that fails may have completed replies first; only a clean parse must agree reply for reply.
        if (whole.error === undefined) expect(split.replies).toEqual(whole.replies);
        for (const reply of whole.replies) {
          expect(reply.code).toBeGreaterThanOrEqual(200);
          expect(reply.code).toBeLessThan(600);
          // The EHLO parser accepts whatever reply the parser produced.
          const capabilities = parseCapabilities(reply);
          if (capabilities.maxSize !== undefined) expect(Number.isSafeInteger(capabilities.maxSize)).toBe(true);
        }
      }),
    );
  });

  test('1 MiB without a line end: an error at the line bound, not a buffer of 1 MiB', () => {
    campaign(
      fc.property(fc.integer({ min: 1, max: 64 * 1024 }), fc.constantFrom(0x32, 0x00, 0xff, 0x0d), (chunk, fill) => {
        const parser = new ReplyParser();
        let fed = 0;
        let error: unknown;
        try {
          while (fed < 1024 * 1024) {
            parser.push(new Uint8Array(chunk).fill(fill));
            fed += chunk;
          }
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(SmtpProtocolError);
        expect(fed).toBeLessThanOrEqual(MAX_REPLY_LINE_BYTES + 1 + chunk);
      }),
      HEAVY_RUNS,
    );
  });

  test('250- forever: an error at the reply bound', () => {
    campaign(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const parser = new ReplyParser();
        const line = new Uint8Array(Buffer.from(`250-${text.replace(/[\r\n]/g, '')}\r\n`, 'utf8'));
        let lines = 0;
        expect(() => {
          for (;;) {
            parser.push(line);
            lines++;
          }
        }).toThrow(SmtpProtocolError);
        expect(lines).toBeLessThanOrEqual(1000);
      }),
      HEAVY_RUNS,
    );
  });
});
