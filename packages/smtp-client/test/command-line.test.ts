import { expect, test } from 'vitest';
import { SmtpArgumentError } from '../src/index.js';
import { encodeCommandLines } from '../src/protocol/command-line.js';

test('encodes command lines with CRLF in one buffer', () => {
  expect(new TextDecoder().decode(encodeCommandLines(['MAIL FROM:<a@b.c>', 'DATA'], 'mail'))).toBe('MAIL FROM:<a@b.c>\r\nDATA\r\n');
});

test.each(['NOOP\r\nRSET', 'NOOP\nRSET', 'NOOP\rRSET', 'NOOP\0'])('refuses %j before encoding anything', (line) => {
  expect(() => encodeCommandLines(['EHLO a', line], 'ehlo')).toThrow(SmtpArgumentError);
});
