import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { encodeCommand, Pop3ProtocolError } from '@sysmail/pop3-client';

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
