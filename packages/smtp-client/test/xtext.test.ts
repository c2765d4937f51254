import { expect, test } from 'vitest';
import { encodeXtext } from '../src/index.js';

test('xtext keeps printable ASCII and hex-encodes +, =, space, controls and UTF-8 bytes (RFC 3461 §4)', () => {
  expect(encodeXtext('QQ314159')).toBe('QQ314159');
  expect(encodeXtext('a+b=c d')).toBe('a+2Bb+3Dc+20d');
  expect(encodeXtext('\t~')).toBe('+09~');
  expect(encodeXtext('é')).toBe('+C3+A9');
});
