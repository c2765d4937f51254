import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import {
  openSettingsStore,
  parseSettingsForm,
  SETTINGS_FORM_FIELDS,
  SMTP_AUTH_MECHANISMS,
  TIMEOUT_CHOICES,
  validateSettings,
  type SystemMailSettings,
} from '../src/index.js';
import { context } from './settings-fixtures.js';

const meaningful: Record<string, readonly string[]> = {
  use: ['1', '0', 'on', '', 'yes'],
  address: ['system@example.com', '', 'bad address', '"q"@[192.0.2.1]'],
  serverType: ['dedicated', 'mail-feature', '', 'x'],
  serverId: ['mx1', 'mx2', 'mx3', '', 'nope'],
  oauth: ['1', '0', ''],
  oauthClient: ['google-main', 'ms', '', 'nope'],
  smtpHost: ['smtp.example.com', '192.0.2.1', '', 'bad host', '::1'],
  smtpPort: ['25', '', '２５', '0', '65535', '70000', 'x'],
  encryption: ['none', 'tls', 'starttls', '', 'ssl'],
  timeout: [...TIMEOUT_CHOICES.map(String), '', '15'],
  smtpAuthMechanism: ['', 'none', 'PLAIN', 'LOGIN', 'CRAM-MD5', 'DIGEST-MD5', 'NTLM'],
  popBeforeSmtp: ['1', '0', ''],
  popWait: ['0', '10', '11', ''],
  popHost: ['pop.example.com', ''],
  popPort: ['110', '995', '', '１１０'],
  popTls: ['1', '0'],
  popApop: ['1', '0'],
  popTimeout: ['10', '120', '', '5'],
};

const fieldValue = (name: string) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...(meaningful[name] ?? ['a', ''])) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  );

const form = fc.record(Object.fromEntries(SETTINGS_FORM_FIELDS.map((name) => [name, fieldValue(name)])), { requiredKeys: [] }) as fc.Arbitrary<
  Record<string, string | undefined>
>;

function assertExclusive(settings: SystemMailSettings): void {
  if (settings.server.type !== 'dedicated') return;
  const auth = settings.server.auth as unknown as Record<string, unknown>;
  const keys = Object.keys(auth);
  if (auth['method'] === 'smtp-auth') expect(keys.sort()).toEqual(['account', 'mechanism', 'method', 'password']);
  else if (auth['method'] === 'pop-before-smtp') expect(keys.sort()).toEqual(['method', 'pop', 'waitSeconds']);
  else expect(keys).toEqual(['method']);
  if (settings.server.oauth.enabled) expect(auth['method']).toBe('none');
}

describe('settings properties', () => {
  test.prop([form], { numRuns: 300 })('the form validator never throws and accepted settings keep the methods exclusive', (fields) => {
    const result = parseSettingsForm(fields, context);
    if (result.ok) {
      assertExclusive(result.settings);
      expect(validateSettings(result.settings, context, result.settings).ok).toBe(true);
    } else {
      expect(result.issues.length).toBeGreaterThan(0);
    }
  });

  test.prop([form])('a form with both an SMTP AUTH method and POP before SMTP is never accepted', (fields) => {
    const mechanism = (fields['smtpAuthMechanism'] ?? '').trim();
    const both = mechanism !== '' && mechanism.toLowerCase() !== 'none' && mechanism !== '(設定なし)' && ['1', 'true', 'on', 'yes'].includes((fields['popBeforeSmtp'] ?? '').trim().toLowerCase());
    // A mail-feature server has no authentication fields of its own: the screen hides them.
    const dedicated = ['', 'dedicated'].includes((fields['serverType'] ?? '').trim());
    fc.pre(both && dedicated);
    expect(parseSettingsForm(fields, context).ok).toBe(false);
  });

  test.prop([fc.anything({ withNullPrototype: true, withMap: true, withSet: true, withBigInt: true, withDate: true, withTypedArray: true, withSparseArray: true })])(
    'validateSettings never throws on any value',
    (value) => {
      const result = validateSettings(value, context);
      expect(typeof result.ok).toBe('boolean');
    },
  );

  // Objects as an API caller or a hand-edited JSON file would give them: any
  // mix of both methods' fields, OAuth on or off. Accepted settings never
  // carry the other method's fields (they are refused, never stripped).
  const authObject = fc.record(
    {
      method: fc.constantFrom('none', 'smtp-auth', 'pop-before-smtp', 'both'),
      mechanism: fc.constantFrom(...SMTP_AUTH_MECHANISMS),
      account: fc.constantFrom('sys', ''),
      password: fc.constantFrom('pw', ''),
      waitSeconds: fc.integer({ min: -1, max: 11 }),
      pop: fc.record({ host: fc.constantFrom('pop.example.com', ''), account: fc.constant('popper'), password: fc.constant('pop-pw') }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  );
  test.prop([authObject, fc.boolean(), fc.constantFrom('google-main', 'ms')])(
    'settings objects with any mix of SMTP AUTH and POP before SMTP fields are accepted only when exclusive',
    (auth, oauth, client) => {
      const input = {
        use: true,
        address: 'system@example.com',
        server: { type: 'dedicated', oauth: oauth ? { enabled: true, client } : { enabled: false }, smtp: { host: 'smtp.example.com' }, auth },
      };
      const result = validateSettings(input, context);
      if (result.ok) assertExclusive(result.settings);
      const carriesBoth = Object.keys(auth).some((k) => ['mechanism', 'account', 'password'].includes(k)) && Object.keys(auth).some((k) => ['waitSeconds', 'pop'].includes(k));
      if (carriesBoth) expect(result.ok).toBe(false);
    },
  );

  describe('round trip through the store', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sysmail-prop-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    let n = 0;
    test.prop([form], { numRuns: 40 })('accepted settings come back identical after a reopen', async (fields) => {
      const result = parseSettingsForm(fields, context);
      fc.pre(result.ok);
      if (!result.ok) return;
      // A fresh file each time: with stored settings, an empty password would keep the stored one.
      const path = join(dir, `store-${n++}.json`);
      const store = await openSettingsStore({ path, key: Buffer.alloc(32, 7) });
      for (const client of context.oauthClients) await store.oauthClients.add(client);
      for (const server of context.mailServers) await store.mailServers.add(server);
      expect((await store.saveSettings(result.settings)).ok).toBe(true);
      const reopened = await openSettingsStore({ path, key: Buffer.alloc(32, 7) });
      expect(await reopened.getSettings()).toEqual(result.settings);
    });
  });
});
