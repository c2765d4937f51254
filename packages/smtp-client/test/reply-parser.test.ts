import { describe, expect, test } from 'vitest';
import { MAX_REPLY_LINE_BYTES, ReplyParser, SmtpProtocolError, type SmtpReply } from '../src/index.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function parse(text: string): SmtpReply[] {
  const parser = new ReplyParser();
  parser.push(bytes(text));
  const replies: SmtpReply[] = [];
  for (let reply = parser.next(); reply !== undefined; reply = parser.next()) replies.push(reply);
  return replies;
}

describe('ReplyParser', () => {
  test('parses a single-line reply with an enhanced status code split out', () => {
    expect(parse('550 5.1.1 No such user\r\n')).toEqual([{ code: 550, enhancedCode: '5.1.1', lines: ['No such user'], text: 'No such user' }]);
  });

  test('parses a multi-line reply and strips the enhanced code from every line', () => {
    expect(parse('250-2.0.0 first\r\n250-2.0.0 second\r\n250 2.0.0 third\r\n')).toEqual([
      { code: 250, enhancedCode: '2.0.0', lines: ['first', 'second', 'third'], text: 'first\nsecond\nthird' },
    ]);
  });

  test('keeps EHLO keywords as lines and has no enhanced code for them', () => {
    const [reply] = parse('250-mx.example greets you\r\n250-8BITMIME\r\n250 SIZE 1000\r\n');
    expect(reply?.enhancedCode).toBeUndefined();
    expect(reply?.lines).toEqual(['mx.example greets you', '8BITMIME', 'SIZE 1000']);
  });

  test('ignores an enhanced code whose class does not match the reply code', () => {
    const [reply] = parse('250 5.1.1 odd\r\n');
    expect(reply?.enhancedCode).toBeUndefined();
    expect(reply?.text).toBe('5.1.1 odd');
  });

  test('ignores a dotted number that is not followed by a space', () => {
    expect(parse('250 2.0.0x ok\r\n')[0]?.enhancedCode).toBeUndefined();
  });

  test('accepts a code alone on the last line and bare LF line ends', () => {
    expect(parse('250-one\n250\n')).toEqual([{ code: 250, lines: ['one', ''], text: 'one\n' }]);
  });

  test('returns several replies from one chunk in order, and nothing for a partial reply', () => {
    const parser = new ReplyParser();
    parser.push(bytes('250 a\r\n354 b\r\n250-c'));
    expect(parser.next()?.code).toBe(250);
    expect(parser.next()?.code).toBe(354);
    expect(parser.next()).toBeUndefined();
    expect(parser.bufferedBytes).toBe(5);
    parser.push(bytes('\r\n250 d\r\n'));
    expect(parser.next()?.lines).toEqual(['c', 'd']);
    expect(parser.bufferedBytes).toBe(0);
  });

  test('counts complete but untaken replies as buffered bytes (the STARTTLS injection check)', () => {
    const parser = new ReplyParser();
    parser.push(bytes('220 go ahead\r\n250 injected\r\n'));
    expect(parser.next()?.code).toBe(220);
    expect(parser.bufferedBytes).toBe('250 injected\r\n'.length);
  });

  test('takes thousands of queued replies in order, also when more arrive before the queue is empty', () => {
    const parser = new ReplyParser();
    const batch = (from: number, count: number): string => Array.from({ length: count }, (_, i) => `250 ${from + i}\r\n`).join('');
    parser.push(bytes(batch(0, 3000)));
    const texts: string[] = [];
    for (let i = 0; i < 2000; i++) texts.push(parser.next()?.text ?? 'missing');
    parser.push(bytes(batch(3000, 3000)));
    expect(parser.bufferedBytes).toBe(batch(2000, 4000).length);
    for (let reply = parser.next(); reply !== undefined; reply = parser.next()) texts.push(reply.text);
    expect(texts).toEqual(Array.from({ length: 6000 }, (_, i) => String(i)));
    expect(parser.bufferedBytes).toBe(0);
  });

  test('joins a CRLF split between chunks', () => {
    const parser = new ReplyParser();
    parser.push(bytes('250 ok\r'));
    expect(parser.next()).toBeUndefined();
    parser.push(bytes('\n'));
    expect(parser.next()?.text).toBe('ok');
  });

  test('exposes the raw lines of the reply last taken', () => {
    const parser = new ReplyParser();
    parser.push(bytes('250-2.1.0 a\r\n250 2.1.0 b\r\n'));
    parser.next();
    expect(parser.lastRawLines).toEqual(['250-2.1.0 a', '250 2.1.0 b']);
  });

  test.each([
    ['a line without a code', 'hello\r\n'],
    ['a code starting with 1', '199 x\r\n'],
    ['a code starting with 6', '600 x\r\n'],
    ['a bad separator', '250_ok\r\n'],
    ['a two-digit code', '25 ok\r\n'],
    ['a code change inside a multi-line reply', '250-a\r\n251 b\r\n'],
  ])('refuses %s', (_, text) => {
    expect(() => parse(text)).toThrow(SmtpProtocolError);
  });

  test('refuses an over-long line before it ends', () => {
    const parser = new ReplyParser();
    parser.push(bytes(`250 ${'x'.repeat(MAX_REPLY_LINE_BYTES - 4)}`));
    expect(() => parser.push(bytes('xx'))).toThrow(/longer than 4096/);
  });

  test('accepts a line of exactly the maximum length', () => {
    expect(parse(`250 ${'x'.repeat(MAX_REPLY_LINE_BYTES - 4)}\r\n`)[0]?.code).toBe(250);
  });

  test('refuses a reply over 64 KiB', () => {
    const line = `250-${'x'.repeat(1000)}\r\n`;
    expect(() => parse(line.repeat(70))).toThrow(/larger than 65536/);
  });

  test('refuses a reply of more than 1000 lines', () => {
    expect(() => parse('250-a\r\n'.repeat(1001))).toThrow(/more than 1000 lines/);
  });

  test('stays failed after an error, naming the phase it was given', () => {
    const parser = new ReplyParser();
    parser.phase = 'rcpt';
    let error: unknown;
    try {
      parser.push(bytes('garbage\r\n'));
    } catch (e) {
      error = e;
    }
    expect((error as SmtpProtocolError).phase).toBe('rcpt');
    expect(() => parser.push(bytes('250 ok\r\n'))).toThrow(SmtpProtocolError);
  });
});
