import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { encodeCommand, Pop3ProtocolError } from '@sysmail/pop3-client';
import { encodeMessageCommand, messageNumber } from '../src/protocol/command-encoder.js';

describe('encodeCommand', () => {
  test.prop([fc.string(), fc.constantFrom('\r', '\n', '\0'), fc.string(), fc.constantFrom('line', 'name', 'password')])(
    'refuses CR, LF or NUL anywhere in any argument',
    (before, forbidden, after, rule) => {
      expect(() => encodeCommand('USER', [{ value: `${before}${forbidden}${after}`, rule }], { unlimited: true })).toThrow(Pop3ProtocolError);
    },
  );

  test.prop([fc.array(fc.string({ unit: 'grapheme-ascii' }).filter((s) => !/[\r\n\0]/.test(s)), { maxLength: 4 })])(
    'produces exactly one line, ending in CRLF',
    (args) => {
      const line = encodeCommand('AUTH', args.map((value) => ({ value })), { unlimited: true });
      expect(line.endsWith('\r\n')).toBe(true);
      expect(line.slice(0, -2)).not.toMatch(/[\r\n]/);
    },
  );
});

describe('encodeMessageCommand', () => {
  const number = fc.oneof(fc.integer(), fc.maxSafeNat(), fc.double(), fc.constantFrom(0, -0, Number.NaN, Number.MAX_SAFE_INTEGER + 1, Number.POSITIVE_INFINITY));

  test.prop([fc.constantFrom('RETR', 'DELE', 'LIST', 'UIDL'), number])('encodes a message number exactly as encodeCommand does, and refuses the same', (keyword, n) => {
    let expected: string | undefined;
    try {
      expected = encodeCommand(keyword, [{ value: messageNumber(n) }]);
    } catch (error) {
      expect(error).toBeInstanceOf(Pop3ProtocolError);
      expect(() => encodeMessageCommand(keyword, n)).toThrow(Pop3ProtocolError);
      return;
    }
    expect(encodeMessageCommand(keyword, n)).toBe(expected);
  });
});
