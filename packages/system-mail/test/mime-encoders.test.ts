import { describe, expect, it } from 'vitest';
import { encodeBase64Lines } from '../src/base64-lines.js';
import { encodeWords } from '../src/encoded-word.js';
import { foldHeader } from '../src/header-fold.js';
import { encodeQuotedPrintable } from '../src/quoted-printable.js';
import { formatRfc5322Date } from '../src/rfc5322-date.js';
import { isValidMailbox } from '../src/mailbox-syntax.js';
import { decodeQuotedPrintable, decodeWord } from '../scripts/mime-decoder.js';

describe('quoted-printable', () => {
  it('escapes = and non-ASCII, keeps printable ASCII', () => {
    expect(encodeQuotedPrintable('a=b café')).toBe('a=3Db caf=C3=A9');
  });

  it('escapes whitespace at the end of a line only', () => {
    expect(encodeQuotedPrintable('a b \r\nc\t')).toBe('a b=20\r\nc=09');
  });

  it('soft-breaks long lines at 76 characters without splitting an escape', () => {
    const text = 'é'.repeat(40);
    const encoded = encodeQuotedPrintable(text);
    for (const line of encoded.split('\r\n')) {
      expect(line.length).toBeLessThanOrEqual(76);
      expect(line).toMatch(/^(=[0-9A-F]{2})*=?$/);
    }
    expect(decodeQuotedPrintable(encoded)).toBe(text);
  });
});

describe('base64 lines', () => {
  it('cuts at 76 characters', () => {
    const lines = encodeBase64Lines(new Uint8Array(200)).split('\r\n');
    expect(lines.map((l) => l.length)).toEqual([76, 76, 76, 40]);
  });
});

describe('encoded words', () => {
  it('keeps every word within 75 characters and cuts between characters', () => {
    const words = encodeWords('電話メモ'.repeat(20));
    for (const w of words) {
      expect(w.length).toBeLessThanOrEqual(75);
      expect(decodeWord(w)).toMatch(/^[電話メモ]+$/);
    }
    expect(words.map(decodeWord).join('')).toBe('電話メモ'.repeat(20));
  });

  it('never splits a 4-byte character (emoji) between words', () => {
    const words = encodeWords('😀'.repeat(30), 75, 'Q');
    for (const w of words) expect(decodeWord(w)).toMatch(/^(😀)+$/u);
  });

  it('honours the room left on the first line', () => {
    expect(encodeWords('日本語のテキスト'.repeat(3), 30)[0]!.length).toBeLessThanOrEqual(30);
  });
});

describe('header folding', () => {
  it('breaks before whitespace so unfolding restores the value', () => {
    const value = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    const folded = foldHeader('X-Test', value);
    for (const line of folded.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    expect(folded.replace(/\r\n/g, '')).toBe(`X-Test: ${value}`);
  });

  it('leaves a short header on one line', () => {
    expect(foldHeader('Subject', 'hello')).toBe('Subject: hello');
  });
});

describe('RFC 5322 date', () => {
  it('formats day, date, month, year, time and zone', () => {
    const formatted = formatRfc5322Date(new Date(Date.UTC(2026, 0, 5, 3, 4, 5)));
    expect(formatted).toMatch(/^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$/);
    expect(Date.parse(formatted)).toBe(Date.UTC(2026, 0, 5, 3, 4, 5));
  });
});

describe('RFC 5321 mailbox limits', () => {
  it('allows a 64-octet local part, not 65', () => {
    expect(isValidMailbox(`${'a'.repeat(64)}@example.com`)).toBe(true);
    expect(isValidMailbox(`${'a'.repeat(65)}@example.com`)).toBe(false);
  });

  it('refuses a quoted local part with a bare quote or backslash', () => {
    expect(isValidMailbox('"a\\"b"@example.com')).toBe(true);
    expect(isValidMailbox('"a"b"@example.com')).toBe(false);
    expect(isValidMailbox('"a\\"@example.com')).toBe(false);
  });
});
