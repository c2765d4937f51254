import { describe, expect, test } from 'vitest';
import { SmtpProtocolError, SmtpReplyError, type SmtpReply } from '../src/index.js';
import { acceptGreeting, judgeEhlo, judgeHelo, judgeStarttls } from '../src/protocol/session-steps.js';

const reply = (code: number, ...lines: string[]): SmtpReply => ({ code, lines: lines.length ? lines : ['x'], text: lines.join('\n') });

describe('session steps', () => {
  test('a 220 greeting opens the session; 554 and 421 refuse it; another code is a protocol error', () => {
    expect(() => acceptGreeting(reply(220))).not.toThrow();
    expect(() => acceptGreeting(reply(554))).toThrow(SmtpReplyError);
    const closing = (() => {
      try {
        acceptGreeting(reply(421));
      } catch (error) {
        return error as SmtpReplyError;
      }
      return undefined;
    })();
    expect(closing?.transient).toBe(true);
    expect(closing?.phase).toBe('greeting');
    expect(() => acceptGreeting(reply(250))).toThrow(SmtpProtocolError);
  });

  test('EHLO success gives capabilities; 500 and 502 fall back to HELO; other refusals fail', () => {
    const ok = judgeEhlo(reply(250, 'mx', 'PIPELINING'));
    expect(ok.type === 'capabilities' && ok.capabilities.pipelining).toBe(true);
    expect(judgeEhlo(reply(500))).toEqual({ type: 'helo' });
    expect(judgeEhlo(reply(502))).toEqual({ type: 'helo' });
    expect(() => judgeEhlo(reply(550))).toThrow(SmtpReplyError);
  });

  test('HELO gives no extensions', () => {
    expect(judgeHelo(reply(250, 'mx', 'PIPELINING')).pipelining).toBe(false);
    expect(() => judgeHelo(reply(501))).toThrow(SmtpReplyError);
  });

  test('only 220 starts TLS', () => {
    expect(() => judgeStarttls(reply(220))).not.toThrow();
    expect(() => judgeStarttls(reply(454))).toThrow(/not continued in plaintext/);
  });
});
