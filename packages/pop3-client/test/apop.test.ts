import { describe, expect, it } from 'vitest';
import { apopDigest, extractApopTimestamp, isValidApopTimestamp, Pop3ProtocolError } from '@sysmail/pop3-client';

describe('APOP', () => {
  it('computes the digest of RFC 1939 §7', () => {
    expect(apopDigest('<1896.697170952@dbc.mtview.ca.us>', 'tanstaaf')).toBe('c4c9334bac560ecc979e58001b3e22fb');
  });

  it('finds the timestamp in a greeting', () => {
    expect(extractApopTimestamp('POP3 server ready <1896.697170952@dbc.mtview.ca.us>')).toBe('<1896.697170952@dbc.mtview.ca.us>');
    expect(extractApopTimestamp('POP3 server ready')).toBeUndefined();
  });

  it('checks the msg-id syntax', () => {
    for (const bad of ['<nonsense>', '<@host>', '<local@>', '<a@b@c>', '<a b@c>', '<a@b', 'a@b', '<a@b\u00e9>', '<a<b@c>', '<>']) {
      expect(isValidApopTimestamp(bad), bad).toBe(false);
    }
    for (const good of ['<1.2@host>', '<x@y.z>', '<pid.clock@fake-pop3.test>']) expect(isValidApopTimestamp(good), good).toBe(true);
    expect(extractApopTimestamp('ready <nonsense>')).toBeUndefined();
  });

  it('refuses to digest a malformed timestamp', () => {
    expect(() => apopDigest('<nonsense>', 'secret')).toThrow(Pop3ProtocolError);
  });
});
