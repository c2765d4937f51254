import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MAX_BODY_LINE_BYTES, MAX_STATUS_LINE_BYTES, parseStatusLine, Pop3ProtocolError, ResponseParser } from '@sysmail/pop3-client';
import { campaign, fragments, HEAVY_RUNS, protocolBytes } from './fuzz-runs.js';

const STATUS_TOKENS = ['+OK', '-ERR', '+', ' ', '[IN-USE]', '[SYS/TEMP]', '[', ']', '/', '\r\n', '\n', '\r', '.', '..', '.\r\n', '\0', '\xff', '\t'];

/** Reads everything as: one status line, then (when +OK) a body; returns the events or the protocol error. */
function drain(pieces: Uint8Array[]): { events: string[]; error?: Pop3ProtocolError } {
  const parser = new ResponseParser();
  const events: string[] = [];
  try {
    for (const piece of pieces) {
      parser.feed(piece.slice());
      for (;;) {
        if (!parser.inBody) {
          const status = parser.readStatus();
          if (status === undefined) break;
          events.push(`${status.type}:${status.line}`);
          if (status.type === 'ok') parser.beginBody();
          continue;
        }
        const event = parser.readBody();
        if (event === undefined) break;
        events.push(event.type === 'end' ? 'end' : `data:${Buffer.from(event.bytes).toString('latin1')}`);
      }
      expect(parser.bufferedBytes).toBeLessThanOrEqual(MAX_STATUS_LINE_BYTES + 2 + piece.length + 3);
    }
  } catch (error) {
    if (!(error instanceof Pop3ProtocolError)) throw error;
    return { events, error };
  }
  return { events };
}

/** Joins consecutive data events, which may be split differently by a different fragmentation. */
function merged(events: string[]): string[] {
  const out: string[] = [];
  for (const event of events) {
    const last = out[out.length - 1];
    if (event.startsWith('data:') && last?.startsWith('data:') === true) out[out.length - 1] = last + event.slice(5);
    else out.push(event);
  }
  return out;
}

/** RFC 1939 stuffing: a dot before every line-starting dot, then `.CRLF`. */
function stuff(message: string): string {
  return `${message.replace(/(^|\n)\./g, '$1..')}.\r\n`;
}

describe('POP3 status line, multi-line parser and un-stuffer', () => {
  test('parseStatusLine: a status line or Pop3ProtocolError for any bytes', () => {
    campaign(
      fc.property(protocolBytes(STATUS_TOKENS, 12), (bytes) => {
        try {
          const status = parseStatusLine(bytes);
          expect(['ok', 'err', 'continuation']).toContain(status.type);
        } catch (error) {
          expect(error).toBeInstanceOf(Pop3ProtocolError);
        }
      }),
    );
  });

  test('arbitrary bytes in any fragmentation: the same events or Pop3ProtocolError', () => {
    campaign(
      fc.property(protocolBytes(STATUS_TOKENS), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        const whole = drain([bytes]);
        const split = drain(fragments(bytes, cuts));
        expect(split.error === undefined).toBe(whole.error === undefined);
        if (whole.error === undefined) expect(merged(split.events)).toEqual(merged(whole.events));
      }),
    );
  });

  test('un-stuffing restores any CRLF message in any fragmentation', () => {
    const line = fc.array(fc.constantFrom('.', '..', 'a', ' ', '\xff', '.\r', 'x.'), { maxLength: 8 }).map((parts) => parts.join(''));
    campaign(
      fc.property(fc.array(line, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 6 }), (lines, cuts) => {
        const message = lines.map((text) => `${text}\r\n`).join('');
        const wire = new Uint8Array(Buffer.from(`+OK\r\n${stuff(message)}`, 'latin1'));
        const { events, error } = drain(fragments(wire, cuts));
        expect(error).toBeUndefined();
        const body = merged(events.slice(1, -1))[0]?.slice(5) ?? '';
        expect(body).toBe(message);
        expect(events[events.length - 1]).toBe('end');
      }),
    );
  });

  test('1 MiB without a line end: an error at the line bound, status or body', () => {
    campaign(
      fc.property(fc.integer({ min: 1, max: 64 * 1024 }), fc.boolean(), (chunk, inBody) => {
        const parser = new ResponseParser();
        if (inBody) {
          parser.feed(Buffer.from('+OK\r\n'));
          parser.readStatus();
          parser.beginBody();
        }
        let fed = 0;
        let error: unknown;
        try {
          while (fed < 1024 * 1024) {
            parser.feed(new Uint8Array(chunk).fill(0x41));
            fed += chunk;
            if (inBody) while (parser.readBody() !== undefined);
            else parser.readStatus();
          }
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(Pop3ProtocolError);
        expect(fed).toBeLessThanOrEqual((inBody ? MAX_BODY_LINE_BYTES : MAX_STATUS_LINE_BYTES) + 2 + chunk);
      }),
      HEAVY_RUNS,
    );
  });
});
