import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { ReplyParser, SmtpProtocolError, type SmtpReply } from '../src/index.js';

const encoder = new TextEncoder();

/** A valid reply: a code, optional enhanced code, 1–5 lines of printable text. */
const replyArb = fc
  .record({
    code: fc.integer({ min: 200, max: 559 }),
    enhanced: fc.boolean(),
    lines: fc.array(fc.stringMatching(/^[ -~]{0,40}$/), { minLength: 1, maxLength: 5 }),
    bareLf: fc.boolean(),
  })
  .map(({ code, enhanced, lines, bareLf }) => {
    const klass = String(code)[0] as string;
    const prefix = enhanced && klass !== '3' ? `${klass}.1.0 ` : '';
    const end = bareLf ? '\n' : '\r\n';
    return lines.map((line, i) => `${code}${i === lines.length - 1 ? ' ' : '-'}${prefix}${line}${end}`).join('');
  });

function cut(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
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

function parseAll(pieces: Uint8Array[]): SmtpReply[] {
  const parser = new ReplyParser();
  const replies: SmtpReply[] = [];
  for (const piece of pieces) {
    parser.push(piece);
    for (let reply = parser.next(); reply !== undefined; reply = parser.next()) replies.push(reply);
  }
  expect(parser.bufferedBytes).toBe(0);
  return replies;
}

test.prop([fc.array(replyArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 30 })])(
  'any fragmentation of a valid reply stream gives the same replies',
  (replies, cuts) => {
    const bytes = encoder.encode(replies.join(''));
    const whole = parseAll([bytes]);
    expect(whole).toHaveLength(replies.length);
    expect(parseAll(cut(bytes, cuts))).toEqual(whole);
    expect(parseAll(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)))).toEqual(whole);
  },
);

test.prop([fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 })])('arbitrary server bytes give replies or SmtpProtocolError, nothing else', (chunks) => {
  const parser = new ReplyParser();
  try {
    for (const chunk of chunks) {
      parser.push(chunk);
      for (let reply = parser.next(); reply !== undefined; reply = parser.next()) {
        expect(reply.code).toBeGreaterThanOrEqual(200);
        expect(reply.code).toBeLessThan(600);
      }
    }
  } catch (error) {
    expect(error).toBeInstanceOf(SmtpProtocolError);
  }
});

test.prop([fc.array(fc.constantFrom(...'25 0-\r\n.x'.split('')), { maxLength: 400 }).map((chars) => chars.join(''))])(
  'near-miss reply text gives replies or SmtpProtocolError, nothing else',
  (text) => {
    const parser = new ReplyParser();
    try {
      parser.push(encoder.encode(text));
      while (parser.next() !== undefined);
    } catch (error) {
      expect(error).toBeInstanceOf(SmtpProtocolError);
    }
  },
);

/** Every reply with the raw lines the parser reported for it, taking replies after each piece. */
function parseWithRawLines(pieces: Uint8Array[]): { reply: SmtpReply; rawLines: readonly string[] }[] {
  const parser = new ReplyParser();
  const taken: { reply: SmtpReply; rawLines: readonly string[] }[] = [];
  for (const piece of pieces) {
    parser.push(piece);
    for (let reply = parser.next(); reply !== undefined; reply = parser.next()) taken.push({ reply, rawLines: [...parser.lastRawLines] });
  }
  expect(parser.bufferedBytes).toBe(0);
  return taken;
}

test.prop([fc.array(replyArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { minLength: 1, maxLength: 60 }), fc.array(fc.nat(), { maxLength: 30 })])(
  'a stream repeating a few replies, as a pipelined batch does, parses as the same replies byte by byte, whole or cut anywhere',
  (pool, picks, cuts) => {
    const bytes = encoder.encode(picks.map((pick) => pool[pick % pool.length]).join(''));
    const oneByOne = parseWithRawLines(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)));
    expect(oneByOne).toHaveLength(picks.length);
    expect(parseWithRawLines([bytes])).toEqual(oneByOne);
    expect(parseWithRawLines(cut(bytes, cuts))).toEqual(oneByOne);
  },
);

test('replies parsed from the same repeated line are separate objects', () => {
  const parser = new ReplyParser();
  parser.push(encoder.encode('250 2.0.0 ok\r\n250 2.0.0 ok\r\n'));
  const first = parser.next() as SmtpReply;
  const second = parser.next() as SmtpReply;
  expect(second).toEqual(first);
  first.lines.push('changed');
  expect(second.lines).toEqual(['ok']);
});
