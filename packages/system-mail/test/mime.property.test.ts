import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { composeMessage } from '../src/index.js';
import { decodeBody, decodeUnstructured, decodeWord, header, splitMessage } from '../scripts/mime-decoder.js';

// Any Unicode text without CR, LF or NUL (those are refused, tested elsewhere).
const anyChars = fc.string({ unit: 'binary', maxLength: 4 });
const headerText = fc
  .array(fc.oneof(fc.constantFrom('電', '話', 'メ', 'モ', ' ', '\t', ':', '=', '?', '_', '"', 'é', '😀', 'a', '=?'), anyChars), { maxLength: 80 })
  .map((parts) => parts.join('').replace(/[\r\n\0]/g, ''));
const bodyText = fc
  .array(fc.oneof(fc.constantFrom('\n', '\r\n', '\r', ' ', '\t', '.', '=', '日本語', 'a'.repeat(90)), anyChars), { maxLength: 120 })
  .map((parts) => parts.join(''));

function checkLines(raw: string): void {
  const [head, ...rest] = raw.split('\r\n\r\n');
  for (const line of head!.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
  for (const line of raw.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(998);
  expect(rest.length).toBeGreaterThan(0);
  expect(/[^\r]\n|\r[^\n]/.test(raw)).toBe(false);
}

describe('MIME properties', () => {
  test.prop([headerText])('any Unicode subject decodes back, header lines ≤ 78, words standalone UTF-8', (subject) => {
    const raw = Buffer.from(composeMessage({ from: { address: 'system@example.com' }, to: ['a@example.com'], subject, text: '' }).bytes).toString('latin1');
    checkLines(raw);
    const value = header(splitMessage(raw), 'Subject') ?? '';
    for (const word of value.match(/=\?UTF-8\?[BQ]\?[^?]*\?=/g) ?? []) {
      expect(word.length).toBeLessThanOrEqual(75);
      decodeWord(word);
    }
    expect(decodeUnstructured(value)).toBe(subject);
  });

  test.prop([headerText.filter((s) => s.trim() !== '')])('any display name decodes back', (name) => {
    const raw = Buffer.from(composeMessage({ from: { address: 'system@example.com', name }, to: ['a@example.com'], subject: 's', text: '' }).bytes).toString('latin1');
    checkLines(raw);
    const from = header(splitMessage(raw), 'From') ?? '';
    const phrase = from.slice(0, -' <system@example.com>'.length);
    const decoded = phrase.startsWith('"') ? phrase.slice(1, -1).replace(/\\(.)/g, '$1') : decodeUnstructured(phrase);
    expect(decoded).toBe(name);
  });

  test.prop([bodyText, fc.option(bodyText, { nil: undefined })])('any body decodes back with CRLF line breaks, no line over 998 octets', (text, html) => {
    const raw = Buffer.from(composeMessage({ from: { address: 'system@example.com' }, to: ['a@example.com'], subject: 's', text, ...(html !== undefined ? { html } : {}) }).bytes).toString('latin1');
    checkLines(raw);
    const msg = splitMessage(raw);
    const normalise = (s: string) => s.replace(/\r\n|\r|\n/g, '\r\n');
    if (html === undefined) {
      for (const line of msg.body.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
      expect(decodeBody(header(msg, 'Content-Transfer-Encoding'), msg.body.replace(/\r\n$/, ''))).toBe(normalise(text));
    } else {
      const boundary = /boundary="([^"]+)"/.exec(header(msg, 'Content-Type') ?? '')?.[1] ?? '';
      const parts = msg.body.split(`--${boundary}`);
      expect(parts).toHaveLength(4);
      const [plain, rich] = [splitMessage(parts[1]!.replace(/^\r\n/, '')), splitMessage(parts[2]!.replace(/^\r\n/, ''))];
      expect(decodeBody(header(plain, 'Content-Transfer-Encoding'), plain.body.replace(/\r\n$/, ''))).toBe(normalise(text));
      expect(decodeBody(header(rich, 'Content-Transfer-Encoding'), rich.body.replace(/\r\n$/, ''))).toBe(normalise(html));
    }
  });

  test.prop([fc.array(fc.emailAddress({ size: 'small' }), { minLength: 1, maxLength: 12 })])('address lists fold within 78 characters', (to) => {
    fc.pre(to.every((a) => a.length <= 60));
    let composed;
    try {
      composed = composeMessage({ from: { address: 'system@example.com' }, to, subject: 's', text: '' });
    } catch {
      // fast-check's generator allows a few forms RFC 5321 does not (e.g. a trailing-dot label); refusing them is fine.
      return;
    }
    const raw = Buffer.from(composed.bytes).toString('latin1');
    checkLines(raw);
    expect((header(splitMessage(raw), 'To') ?? '').split(', ')).toEqual(to);
  });
});
