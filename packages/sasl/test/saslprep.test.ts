import { describe, expect, test } from 'vitest';
import { SaslError, saslprep } from '@sysmail/sasl';

describe('RFC 4013 section 3 examples', () => {
  test.each([
    ['I\u00ADX', 'IX', 'SOFT HYPHEN mapped to nothing'],
    ['user', 'user', 'no transformation'],
    ['USER', 'USER', 'case preserved'],
    ['\u00AA', 'a', 'output is NFKC'],
    ['\u2168', 'IX', 'output is NFKC'],
  ])('%j prepares to %j (%s)', (input, output) => {
    expect(saslprep(input)).toBe(output);
  });

  test.each([
    ['\u0007', 'prohibited character'],
    ['\u0627\u0031', 'bidirectional check'],
  ])('%j is refused (%s)', (input) => {
    expect(() => saslprep(input)).toThrow(expect.objectContaining({ code: 'saslprep-prohibited' }));
  });
});

describe('the other steps of RFC 4013', () => {
  test('non-ASCII spaces (C.1.2) map to SPACE', () => {
    expect(saslprep('a\u00A0b\u3000c')).toBe('a b c');
  });

  test('zero-width characters of B.1 vanish', () => {
    expect(saslprep('p\u200Bass\uFEFFword')).toBe('password');
  });

  test.each([
    ['\u0000', 'ASCII control (C.2.1)'],
    ['\u0085', 'non-ASCII control (C.2.2)'],
    ['\uE000', 'private use (C.3)'],
    ['\uFDD0', 'non-character (C.4)'],
    ['\uD800', 'surrogate (C.5)'],
    ['\uFFFD', 'inappropriate for plain text (C.6)'],
    ['\u2FF0', 'inappropriate for canonical representation (C.7)'],
    ['\u200E', 'change display properties (C.8)'],
    ['\u{E0001}', 'tagging character (C.9)'],
  ])('%j is prohibited (%s)', (input) => {
    expect(() => saslprep(`x${input}y`)).toThrow(SaslError);
  });

  test('right-to-left strings pass when they start and end with RandALCat and hold no LCat', () => {
    expect(saslprep('\u0627\u0031\u0628')).toBe('\u0627\u0031\u0628');
    expect(() => saslprep('\u0627a\u0628')).toThrow(SaslError);
  });

  test('unassigned code points are allowed, as in a query', () => {
    expect(saslprep('a\u{E0080}')).toBe('a\u{E0080}');
  });

  test('the error message never repeats the string', () => {
    try {
      saslprep('hunter2\u0007');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});
