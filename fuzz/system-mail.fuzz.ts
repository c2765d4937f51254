import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  composeMessage,
  MessageCompositionError,
  parseSettingsForm,
  SETTINGS_FORM_FIELDS,
  validateSettings,
  type ValidationContext,
  type ValidationResult,
} from '@sysmail/system-mail';
import { decodeUnstructured, header, splitMessage } from '../packages/system-mail/scripts/mime-decoder.js';
import { campaign, HEAVY_RUNS } from './fuzz-runs.js';

const CONTEXT: ValidationContext = {
  oauthClients: [{ id: 'google-main', provider: 'google', clientId: 'client-id.apps.googleusercontent.com', clientSecret: 'secret' }],
  mailServers: [{ id: 'mx1', name: 'Main', smtp: { host: 'mail.example.com', port: 25, encryption: 'none', timeoutSeconds: 10 }, smtpAuth: false }],
};

const FIELD_VALUES = ['', '0', '1', '25', '587', '１１０', '-1', '99999999', '10', '120', 'none', 'tls', 'starttls', 'dedicated', 'mail-feature', 'mx1', 'google-main',
  'PLAIN', 'CRAM-MD5', 'DIGEST-MD5', 'pop-before-smtp', 'smtp-auth', 'oauth', 'system@example.com', 'a@b', '😀', '\0', '\r\n', 'x'.repeat(300)];

function expectResult(result: ValidationResult): void {
  expect(typeof result.ok).toBe('boolean');
  if (!result.ok) for (const issue of result.issues) expect(typeof issue.message.en).toBe('string');
}

describe('settings form parser and validator', () => {
  test('parseSettingsForm: any posted fields give a result, never an exception', () => {
    const value = fc.oneof(fc.constantFrom(...FIELD_VALUES), fc.string({ unit: 'binary', maxLength: 20 }), fc.constant(undefined));
    const field = fc.oneof(fc.constantFrom(...SETTINGS_FORM_FIELDS), fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString'));
    campaign(
      fc.property(fc.dictionary(field, value, { maxKeys: 25 }), (fields) => {
        expectResult(parseSettingsForm(fields, CONTEXT));
      }),
    );
  });

  test('validateSettings: any JSON gives a result, never an exception', () => {
    campaign(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (input) => {
        expectResult(validateSettings(input, CONTEXT));
      }),
    );
  });
});

describe('1 MiB inputs', () => {
  test('a 1 MiB field value or subject gives a result or the documented error', () => {
    campaign(
      fc.property(fc.constantFrom(...SETTINGS_FORM_FIELDS), fc.constantFrom('a', '1', '電', '\r'), (field, unit) => {
        const huge = unit.repeat(1024 * 1024);
        expectResult(parseSettingsForm({ [field]: huge }, CONTEXT));
        try {
          const raw = Buffer.from(composeMessage({ from: { address: 'system@example.com' }, to: ['a@example.com'], subject: huge.slice(0, 64 * 1024), text: huge }).bytes).toString('latin1');
          for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
        } catch (error) {
          expect(error).toBeInstanceOf(MessageCompositionError);
        }
      }),
      HEAVY_RUNS,
    );
  });
});

describe('MIME composer', () => {
  const text = fc.string({ unit: 'binary', maxLength: 300 });
  test('any Unicode subject, body and display name: lines ≤ 998 octets, only CRLF, subject decodes back; or MessageCompositionError', () => {
    campaign(
      fc.property(text, text, fc.option(text, { nil: undefined }), (subject, body, name) => {
        let bytes: Uint8Array;
        try {
          bytes = composeMessage({ from: { address: 'system@example.com', ...(name === undefined ? {} : { name }) }, to: ['a@example.com'], subject, text: body }).bytes;
        } catch (error) {
          expect(error).toBeInstanceOf(MessageCompositionError);
          return;
        }
        const raw = Buffer.from(bytes).toString('latin1');
        for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
        expect(/\r(?!\n)|(?<!\r)\n/.test(raw)).toBe(false);
        expect(decodeUnstructured(header(splitMessage(raw), 'Subject') ?? '')).toBe(subject);
      }),
    );
  });
});
