import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { MAX_BODY_LINE_BYTES, Pop3ProtocolError, ResponseParser } from '@sysmail/pop3-client';

/** The reference stuffer, as the fake server does it: a '.' that starts a line (after any LF) is doubled; CRLF is added unless present; then '.\r\n'. */
function stuff(message: Uint8Array): Uint8Array {
  const out: number[] = [];
  let lineStart = true;
  for (const byte of message) {
    if (lineStart && byte === 0x2e) out.push(0x2e);
    out.push(byte);
    lineStart = byte === 0x0a;
  }
  const n = message.length;
  if (n > 0 && !(message[n - 1] === 0x0a && message[n - 2] === 0x0d)) out.push(0x0d, 0x0a);
  out.push(0x2e, 0x0d, 0x0a);
  return Uint8Array.from(out);
}

function expected(message: Uint8Array): Uint8Array {
  const n = message.length;
  if (n === 0 || (message[n - 1] === 0x0a && message[n - 2] === 0x0d)) return message;
  return Uint8Array.from([...message, 0x0d, 0x0a]);
}

function cutAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
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

/** Runs the parser over the pieces; returns what the body produced, whether it ended, and what was left over. */
function unstuff(pieces: Uint8Array[]): { data: Uint8Array; ended: boolean; leftover: number } {
  const parser = new ResponseParser();
  parser.beginBody();
  const out: Uint8Array[] = [];
  let ended = false;
  for (const piece of pieces) {
    parser.feed(piece);
    while (!ended) {
      const event = parser.readBody();
      if (event === undefined) break;
      if (event.type === 'end') ended = true;
      else out.push(Uint8Array.from(event.bytes));
    }
  }
  return { data: Buffer.concat(out), ended, leftover: parser.bufferedBytes };
}

// Messages rich in the bytes that matter: dots, CR, LF.
const messageBytes = fc
  .array(fc.oneof(fc.constantFrom(0x2e, 0x0d, 0x0a), fc.integer({ min: 0, max: 255 })), { maxLength: 300 })
  .map((bytes) => Uint8Array.from(bytes));
const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe('dot-unstuffing', () => {
  test.prop([messageBytes, cuts])('round-trips any message over any fragmentation', (message, cutPoints) => {
    const wire = stuff(message);
    const result = unstuff(cutAt(wire, cutPoints));
    expect(result.ended).toBe(true);
    expect(Buffer.from(result.data).equals(Buffer.from(expected(message)))).toBe(true);
    expect(result.leftover).toBe(0);
  });

  // Long stretches without line-starting dots, then dense ones: both of the parser's scanning modes, and switches between them.
  const mixedMessage = fc
    .array(
      fc.record({ dot: fc.boolean(), length: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 500, max: 3000 })), lf: fc.constantFrom('\r\n', '\n') }),
      { maxLength: 40 },
    )
    .map((lines) => Buffer.from(lines.map((l) => `${l.dot ? '.' : ''}${'y'.repeat(l.length)}${l.lf}`).join('')));

  test.prop([mixedMessage, cuts])('round-trips long messages mixing sparse and dense dots', (message, cutPoints) => {
    const result = unstuff(cutAt(stuff(message), cutPoints.map((c) => c * 97)));
    expect(result.ended).toBe(true);
    expect(Buffer.from(result.data).equals(Buffer.from(expected(message)))).toBe(true);
  });

  test.prop([messageBytes, cuts, fc.uint8Array({ minLength: 1, maxLength: 40 })])(
    'leaves the bytes after the terminator for the next response',
    (message, cutPoints, next) => {
      const wire = Buffer.concat([stuff(message), next]);
      const result = unstuff(cutAt(wire, cutPoints));
      expect(result.ended).toBe(true);
      expect(result.leftover).toBe(next.length);
    },
  );

  test.prop([messageBytes, cuts, fc.nat()])('a response cut before its terminator never ends', (message, cutPoints, cut) => {
    const wire = stuff(message);
    const truncated = wire.subarray(0, cut % wire.length);
    const result = unstuff(cutAt(truncated, cutPoints));
    expect(result.ended).toBe(false);
  });
});

describe('arbitrary server bytes', () => {
  test.prop([fc.uint8Array({ maxLength: 600 }), cuts])('give responses or Pop3ProtocolError, never another exception', (bytes, cutPoints) => {
    const parser = new ResponseParser();
    try {
      for (const piece of cutAt(bytes, cutPoints)) {
        parser.feed(piece);
        for (;;) {
          if (parser.inBody) {
            const event = parser.readBody();
            if (event === undefined) break;
          } else {
            const status = parser.readStatus();
            if (status === undefined) break;
            if (status.type === 'ok') parser.beginBody();
          }
        }
      }
    } catch (error) {
      expect(error).toBeInstanceOf(Pop3ProtocolError);
    }
  });

  test.prop([fc.uint8Array({ maxLength: 200 }), cuts])('status lines parse the same whatever the fragmentation', (bytes, cutPoints) => {
    const run = (pieces: Uint8Array[]): string[] => {
      const parser = new ResponseParser();
      const seen: string[] = [];
      try {
        for (const piece of pieces) {
          parser.feed(piece);
          for (let status = parser.readStatus(); status !== undefined; status = parser.readStatus()) seen.push(`${status.type}:${status.line}`);
        }
      } catch (error) {
        expect(error).toBeInstanceOf(Pop3ProtocolError);
        seen.push('error');
      }
      return seen;
    };
    expect(run(cutAt(bytes, cutPoints))).toEqual(run([bytes]));
  });
});

describe('line length limit', () => {
  // Lines around the limit, some starting with a dot (stuffed on the wire, so one byte longer there).
  const lineAroundLimit = fc.record({
    dot: fc.boolean(),
    length: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: MAX_BODY_LINE_BYTES - 3, max: MAX_BODY_LINE_BYTES + 2 })),
    lf: fc.constantFrom('\r\n', '\n'),
  });
  const longMessage = fc
    .array(lineAroundLimit, { minLength: 1, maxLength: 5 })
    .map((lines) => Buffer.from(lines.map((l) => `${l.dot ? '.' : ''}${'z'.repeat(l.length)}${l.lf}`).join('')));

  /** The most bytes before an LF (CR and stuffing dots included) on any line of the stuffed body, up to its terminator. */
  function longestWireLine(wire: Uint8Array): number {
    let longest = 0;
    let current = 0;
    for (let i = 0; i < wire.length - 3; i++) {
      if (wire[i] === 0x0a) current = 0;
      else longest = Math.max(longest, ++current);
    }
    return longest;
  }

  test.prop([longMessage, cuts], { numRuns: 60 })(
    'refuses a body exactly when a line on the wire exceeds 64 KiB and its line ending, whatever the fragmentation',
    (message, cutPoints) => {
      const wire = stuff(message);
      const tooLong = longestWireLine(wire) > MAX_BODY_LINE_BYTES + 1;
      let outcome: 'ended' | 'refused';
      try {
        outcome = unstuff(cutAt(wire, cutPoints.map((c) => c * 4099))).ended ? 'ended' : 'refused';
      } catch (error) {
        expect(error).toBeInstanceOf(Pop3ProtocolError);
        expect((error as Pop3ProtocolError).reason).toBe('line-too-long');
        outcome = 'refused';
      }
      expect(outcome).toBe(tooLong ? 'refused' : 'ended');
    },
  );
});
