import { describe, expect, it } from 'vitest';
import { checkArgument, encodeCommand, MAX_COMMAND_LINE_BYTES, Pop3ProtocolError } from '@sysmail/pop3-client';

describe('encodeCommand', () => {
  it('joins keyword and arguments with single spaces and ends with CRLF', () => {
    expect(encodeCommand('RETR', [{ value: '1' }])).toBe('RETR 1\r\n');
    expect(encodeCommand('NOOP')).toBe('NOOP\r\n');
    expect(encodeCommand('TOP', [{ value: '3' }, { value: '10' }])).toBe('TOP 3 10\r\n');
  });

  it('refuses CR, LF and NUL in any argument, without echoing it', () => {
    for (const bad of ['a\r\nDELE 1', 'a\nb', 'a\rb', 'a\0b']) {
      expect(() => encodeCommand('USER', [{ value: bad, rule: 'name', what: 'username' }])).toThrow(Pop3ProtocolError);
      expect(() => encodeCommand('AUTH', [{ value: bad }])).toThrow(/CR, LF or NUL/);
    }
    try {
      encodeCommand('PASS', [{ value: 'hunter2\r\nX', rule: 'password', what: 'password' }]);
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('applies RFC 1939 syntax to names and passwords', () => {
    expect(() => checkArgument('has space', 'name', 'username')).toThrow(/without spaces/);
    expect(() => checkArgument('', 'name', 'username')).toThrow(Pop3ProtocolError);
    expect(() => checkArgument('jörg', 'name', 'username')).toThrow(/printable ASCII/);
    expect(() => checkArgument('\x7f', 'password', 'password')).toThrow(Pop3ProtocolError);
    expect(() => checkArgument('pass with spaces', 'password', 'password')).not.toThrow();
    expect(() => checkArgument('user@example.com', 'name', 'username')).not.toThrow();
  });

  it('lets a password be any text without controls, as Dovecot compares PASS as UTF-8 bytes', () => {
    for (const password of ['pässwörd', '€uro-pass', '日本語のパスワード', 'emoji 🔑']) {
      expect(encodeCommand('PASS', [{ value: password, rule: 'password', what: 'password' }])).toBe(`PASS ${password}\r\n`);
    }
    for (const bad of ['', 'tab\there', 'bell\x07', 'c1\u0085', 'lone \ud800 surrogate', '\udc00']) {
      expect(() => checkArgument(bad, 'password', 'password')).toThrow(/control characters/);
    }
  });

  it('keeps command lines within 255 octets unless told otherwise', () => {
    const long = 'x'.repeat(MAX_COMMAND_LINE_BYTES);
    expect(() => encodeCommand('USER', [{ value: long, rule: 'name' }])).toThrow(/255/);
    expect(encodeCommand('AUTH', [{ value: long }], { unlimited: true })).toBe(`AUTH ${long}\r\n`);
  });
});
