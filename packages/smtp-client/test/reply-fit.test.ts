import { expect, test } from 'vitest';
import { SmtpProtocolError, type SmtpReply } from '../src/index.js';
import { checkReplyFits, replyFits } from '../src/protocol/reply-fit.js';

const reply = (code: number): SmtpReply => ({ code, lines: ['x'], text: 'x' });

test('accepts the replies each command can get', () => {
  expect(replyFits('data', reply(354))).toBe(true);
  expect(replyFits('starttls', reply(220))).toBe(true);
  expect(replyFits('auth', reply(334))).toBe(true);
  expect(replyFits('auth', reply(235))).toBe(true);
  expect(replyFits('rcpt', reply(251))).toBe(true);
  expect(replyFits('mail', reply(451))).toBe(true);
  expect(replyFits('data-end', reply(554))).toBe(true);
});

test('refuses replies that show the replies are out of step with the commands', () => {
  expect(replyFits('data', reply(250))).toBe(false);
  expect(replyFits('rcpt', reply(354))).toBe(false);
  expect(replyFits('mail', reply(334))).toBe(false);
  expect(replyFits('auth', reply(250))).toBe(false);
  expect(replyFits('starttls', reply(250))).toBe(false);
  expect(() => checkReplyFits('rcpt', reply(354), 'data')).toThrow(SmtpProtocolError);
});
