import { describe, expect, test } from 'vitest';
import { parseCapabilities, type SmtpReply } from '../src/index.js';

const ehlo = (...lines: string[]): SmtpReply => ({ code: 250, lines: ['mx.example.com Hello', ...lines], text: '' });

describe('parseCapabilities', () => {
  test('reads the usual extensions, case-insensitively', () => {
    const caps = parseCapabilities(ehlo('pipelining', '8bitmime', 'SmtpUtf8', 'DSN', 'CHUNKING', 'STARTTLS', 'ENHANCEDSTATUSCODES', 'SIZE 1000'));
    expect(caps).toMatchObject({
      serverName: 'mx.example.com',
      pipelining: true,
      eightBitMime: true,
      smtpUtf8: true,
      dsn: true,
      chunking: true,
      starttls: true,
      enhancedStatusCodes: true,
      size: true,
      maxSize: 1000,
    });
  });

  test('reports no extension when none is advertised', () => {
    const caps = parseCapabilities(ehlo());
    expect(caps).toMatchObject({ pipelining: false, starttls: false, size: false, maxSize: undefined, authMechanisms: [] });
  });

  test('treats SIZE without a number, or SIZE 0, as no limit', () => {
    expect(parseCapabilities(ehlo('SIZE')).maxSize).toBeUndefined();
    expect(parseCapabilities(ehlo('SIZE 0')).maxSize).toBeUndefined();
    expect(parseCapabilities(ehlo('SIZE 0')).size).toBe(true);
    expect(parseCapabilities(ehlo('SIZE lots')).maxSize).toBeUndefined();
  });

  test('merges the legacy AUTH= form with AUTH, upper-cased and without duplicates', () => {
    const caps = parseCapabilities(ehlo('AUTH login Plain', 'AUTH=LOGIN PLAIN XOAUTH2'));
    expect(caps.authMechanisms).toEqual(['LOGIN', 'PLAIN', 'XOAUTH2']);
    expect(caps.keywords.has('AUTH=LOGIN')).toBe(false);
  });

  test('keeps unknown keywords with their parameters', () => {
    expect(parseCapabilities(ehlo('X-FOO bar baz')).keywords.get('X-FOO')).toEqual(['bar', 'baz']);
  });
});
