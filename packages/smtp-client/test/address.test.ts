import { describe, expect, test } from 'vitest';
import { checkMailbox, SmtpArgumentError } from '../src/index.js';

describe('checkMailbox', () => {
  test.each([
    'user@example.com',
    'first.last+tag@sub.example.co.uk',
    "o'brien!#$%&*=?^_`{|}~-@example.com",
    '"quoted string"@example.com',
    '"with \\"escaped\\" quote"@example.com',
    'user@[192.0.2.1]',
    'user@[IPv6:2001:db8::1]',
    'user@[IPv6:::ffff:192.0.2.1]',
    'a@localhost',
  ])('accepts %s as ASCII', (address) => {
    expect(checkMailbox(address, 'rcpt')).toEqual({ needsSmtpUtf8: false });
  });

  test.each(['用户@例子.广告', 'josé@example.com', 'user@bücher.example', '"ü x"@example.com'])('accepts %s as needing SMTPUTF8', (address) => {
    expect(checkMailbox(address, 'rcpt')).toEqual({ needsSmtpUtf8: true });
  });

  test.each([
    ['no @', 'user.example.com'],
    ['empty local part', '@example.com'],
    ['empty domain', 'user@'],
    ['a leading dot', '.user@example.com'],
    ['two dots', 'a..b@example.com'],
    ['a space', 'a b@example.com'],
    ['angle brackets', '<user@example.com>'],
    ['a bad domain label', 'user@-example.com'],
    ['an empty label', 'user@example..com'],
    ['a bad IPv4 literal', 'user@[300.1.1.1]'],
    ['a bad IPv6 literal', 'user@[IPv6:zz::1]'],
    ['a 65-octet local part', `${'a'.repeat(65)}@example.com`],
    ['a 64-octet label', `a@${'b'.repeat(64)}.com`],
    ['CR LF injection', 'a@example.com>\r\nRCPT TO:<b@example.com'],
    ['NUL', 'a\0@example.com'],
  ])('refuses %s', (_, address) => {
    expect(() => checkMailbox(address, 'rcpt')).toThrow(SmtpArgumentError);
  });

  test('names the phase it was checking for', () => {
    try {
      checkMailbox('bad', 'mail');
    } catch (error) {
      expect((error as SmtpArgumentError).phase).toBe('mail');
    }
    expect.assertions(1);
  });
});
