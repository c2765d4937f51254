import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect, promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  openSettingsStore,
  SystemMailConfigError,
  SystemMailStoreError,
  validateSettings,
  validationContextOf,
  type MailFeatureServer,
  type OAuthClient,
  type SettingsRegistries,
  type SettingsStore,
  type SystemMailSettings,
} from '../src/index.js';
import { authServer, googleClient, microsoftClient, plainServer, popSettings, smtpAuthSettings } from './settings-fixtures.js';

const KEY = Buffer.alloc(32, 1).toString('base64');
const OTHER_KEY = Buffer.alloc(32, 2).toString('hex');
const SECRETS = ['smtp-secret-1', 'pop-secret-2', 'google-client-secret-XYZ', 'refresh-token-ABC', 'access-token-DEF', 'mf-secret-4'];

const oauthSettings: SystemMailSettings = {
  use: true,
  address: 'notify@gmail.example',
  server: {
    type: 'dedicated',
    oauth: { enabled: true, client: 'google-main' },
    smtp: { host: 'smtp.gmail.com', port: 465, encryption: 'tls', timeoutSeconds: 20 },
    auth: { method: 'none' },
  },
};

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sysmail-store-'));
  path = join(dir, 'system-mail.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectStoreError(promise: Promise<unknown>, reason: string): Promise<SystemMailStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SystemMailStoreError);
  expect((error as SystemMailStoreError).reason).toBe(reason);
  return error as SystemMailStoreError;
}

async function populated(): Promise<SettingsStore> {
  const store = await openSettingsStore({ path, key: KEY });
  await store.oauthClients.add(googleClient);
  await store.mailServers.add(authServer);
  expect((await store.saveSettings(popSettings)).ok).toBe(true);
  await store.setOAuthState(
    { client: 'google-main', address: 'other@example.com' },
    { status: 'authorized', refreshToken: 'refresh-token-ABC', accessToken: 'access-token-DEF', expiresAt: 1_800_000_000_000 },
  );
  return store;
}

describe('SettingsStore: persistence', () => {
  it('starts empty, then round-trips settings, registries and OAuth state through a reopen', async () => {
    const empty = await openSettingsStore({ path, key: KEY });
    expect(await empty.getSettings()).toBeUndefined();
    await populated();
    const reopened = await openSettingsStore({ path, key: KEY });
    expect(await reopened.getSettings()).toEqual(popSettings);
    expect(await reopened.oauthClients.get('google-main')).toEqual(googleClient);
    expect(await reopened.mailServers.list()).toEqual([authServer]);
    expect((await reopened.getOAuthState({ client: 'google-main', address: 'other@example.com' }))?.refreshToken).toBe('refresh-token-ABC');
  });

  it('writes the file with mode 0600 and a 0600 key file beside it', async () => {
    await populated();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const keyless = join(dir, 'keyless.json');
    const store = await openSettingsStore({ path: keyless, env: {} });
    await store.saveSettings(smtpAuthSettings);
    expect((await stat(join(dir, 'keyless.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(keyless)).mode & 0o777).toBe(0o600);
    expect(await (await openSettingsStore({ path: keyless, env: {} })).getSettings()).toEqual(smtpAuthSettings);
  });

  it('never writes a secret in clear', async () => {
    const store = await populated();
    await store.mailServers.add({ ...plainServer, id: 'mf' });
    const text = await readFile(path, 'utf8');
    for (const secret of SECRETS.slice(0, 5)) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(Buffer.from(secret).toString('base64').slice(0, 12));
    }
    expect(text).toContain('"$enc": "aes-256-gcm"');
  });

  it('uses SYSMAIL_STORE and SYSMAIL_SECRET_KEY (hex) from the environment', async () => {
    const env = { SYSMAIL_STORE: join(dir, 'env.json'), SYSMAIL_SECRET_KEY: OTHER_KEY };
    const store = await openSettingsStore({ env });
    expect(store.path).toBe(join(dir, 'env.json'));
    await store.saveSettings(smtpAuthSettings);
    expect(await (await openSettingsStore({ env })).getSettings()).toEqual(smtpAuthSettings);
  });

  it('refuses a malformed key with key-invalid', async () => {
    await expectStoreError(openSettingsStore({ path, env: { SYSMAIL_SECRET_KEY: 'short' } }), 'key-invalid');
    await expectStoreError(openSettingsStore({ path, key: new Uint8Array(16) }), 'key-invalid');
  });

  it('refuses to invent a new key when the store exists but its key file is gone', async () => {
    const store = await openSettingsStore({ path, env: {} });
    await store.saveSettings(smtpAuthSettings);
    await unlink(join(dir, 'system-mail.key'));
    await expectStoreError(openSettingsStore({ path, env: {} }), 'key-missing');
  });
});

describe('SettingsStore: wrong key and tampering', () => {
  it('a wrong key gives wrong-key, with a message in both languages, and changes nothing', async () => {
    await populated();
    const before = await readFile(path);
    const error = await expectStoreError(openSettingsStore({ path, key: OTHER_KEY }), 'wrong-key');
    expect(error.messages.ja).toContain('暗号鍵が正しくありません');
    expect(error.message).toMatch(/secret key/);
    expect(await readFile(path)).toEqual(before);
  });

  const mutateSealed = (field: 'ct' | 'iv' | 'tag') => async () => {
    await populated();
    const doc = JSON.parse(await readFile(path, 'utf8'));
    const sealed = doc.settings.server.auth.pop.password;
    const bytes = Buffer.from(sealed[field], 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    sealed[field] = bytes.toString('base64');
    await writeFile(path, JSON.stringify(doc));
    const before = await readFile(path);
    await expectStoreError(openSettingsStore({ path, key: KEY }), 'tampered');
    expect(await readFile(path)).toEqual(before);
  };
  it('detects a flipped ciphertext bit', mutateSealed('ct'));
  it('detects a changed IV', mutateSealed('iv'));
  it('detects a changed tag', mutateSealed('tag'));

  it('detects two secrets swapped between fields', async () => {
    await populated();
    const doc = JSON.parse(await readFile(path, 'utf8'));
    const pop = doc.settings.server.auth.pop;
    [pop.password, doc.oauthClients['google-main'].clientSecret] = [doc.oauthClients['google-main'].clientSecret, pop.password];
    await writeFile(path, JSON.stringify(doc));
    await expectStoreError(openSettingsStore({ path, key: KEY }), 'tampered');
  });

  it('detects an edited host, which would otherwise receive the stored password', async () => {
    await populated();
    const doc = JSON.parse(await readFile(path, 'utf8'));
    doc.settings.server.auth.pop.host = 'evil.example.net';
    await writeFile(path, JSON.stringify(doc));
    await expectStoreError(openSettingsStore({ path, key: KEY }), 'tampered');
  });

  it('refuses a secret put in clear by hand', async () => {
    await populated();
    const doc = JSON.parse(await readFile(path, 'utf8'));
    doc.settings.server.auth.pop.password = 'plain';
    await writeFile(path, JSON.stringify(doc));
    await expectStoreError(openSettingsStore({ path, key: KEY }), 'tampered');
  });

  it('a file that is not a store gives corrupt, without quoting it', async () => {
    await writeFile(path, '{"password": "leaky-secret"');
    const error = await expectStoreError(openSettingsStore({ path, key: KEY }), 'corrupt');
    expect(JSON.stringify({ m: error.message, ms: error.messages, s: String(error.stack) })).not.toContain('leaky-secret');
  });
});

describe('SettingsStore: atomic writes', () => {
  it('a failure between write and rename leaves the old file and the in-memory state intact', async () => {
    await populated();
    const before = await readFile(path);
    const failing = await openSettingsStore({
      path,
      key: KEY,
      beforeRename: () => {
        throw new Error('simulated crash');
      },
    });
    const error = await expectStoreError(failing.saveSettings(smtpAuthSettings), 'io');
    expect(error.cause).toBeInstanceOf(Error);
    expect(await readFile(path)).toEqual(before);
    expect(await failing.getSettings()).toEqual(popSettings);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a process killed between write and rename leaves the old file readable', async () => {
    await populated();
    const before = await readFile(path);
    const run = promisify(execFile);
    const child = run(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'crash-writer.ts'), path, KEY, 'new@example.com']);
    const failure = await child.then(
      () => undefined,
      (e: { code?: number }) => e,
    );
    expect(failure?.code).toBe(3);
    expect(await readFile(path)).toEqual(before);
    expect((await readdir(dir)).some((f) => f.endsWith('.tmp'))).toBe(true);
    expect(await (await openSettingsStore({ path, key: KEY })).getSettings()).toEqual(popSettings);
  });

  it('serialises concurrent writers in one process: none is lost', async () => {
    const store = await openSettingsStore({ path, key: KEY });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.mailServers.add({ ...plainServer, id: `s${i}`, name: `Server ${i}` })),
    );
    const reopened = await openSettingsStore({ path, key: KEY });
    expect((await reopened.mailServers.list()).map((s) => s.id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `s${i}`).sort());
  });
});

describe('SettingsStore: several store objects on one file', () => {
  it('serialises writers of two objects on the same file and each starts from the file', async () => {
    const a = await openSettingsStore({ path, key: KEY });
    const b = await openSettingsStore({ path, key: KEY });
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => a.mailServers.add({ ...plainServer, id: `a${i}` })),
      ...Array.from({ length: 5 }, (_, i) => b.mailServers.add({ ...plainServer, id: `b${i}` })),
      a.saveSettings(smtpAuthSettings),
    ]);
    const ids = (await (await openSettingsStore({ path, key: KEY })).mailServers.list()).map((s) => s.id);
    expect(ids.sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2', 'b3', 'b4']);
    expect(await (await openSettingsStore({ path, key: KEY })).getSettings()).toEqual(smtpAuthSettings);
  });

  it('hands out frozen copies, so callers cannot change stored state behind its back', async () => {
    const store = await populated();
    const settings = await store.getSettings();
    expect(Object.isFrozen(settings)).toBe(true);
    expect(() => {
      (settings as { address: string }).address = 'x@example.com';
    }).toThrow(TypeError);
    expect((await store.getSettings())?.address).toBe(popSettings.address);
  });
});

describe('SettingsStore: secrets never leak', () => {
  it('not through util.inspect, JSON.stringify, describe() or errors', async () => {
    const store = await populated();
    await store.saveSettings({ ...popSettings });
    const views = [
      inspect(store, { depth: 10, showHidden: true }),
      JSON.stringify(store),
      JSON.stringify(await store.describe()),
      inspect(await store.describe(), { depth: 10 }),
    ];
    for (const view of views) for (const secret of SECRETS) expect(view).not.toContain(secret);
    expect(inspect(store)).toContain('SettingsStore');
  });
});

describe('SettingsStore: registries', () => {
  it('refuses a duplicate id and a malformed entry with SystemMailConfigError', async () => {
    const store = await openSettingsStore({ path, key: KEY });
    await store.oauthClients.add(googleClient);
    await expect(store.oauthClients.add(googleClient)).rejects.toBeInstanceOf(SystemMailConfigError);
    await expect(store.mailServers.add({ ...plainServer, smtp: { ...plainServer.smtp, port: 0 } })).rejects.toBeInstanceOf(SystemMailConfigError);
    await expect(store.oauthClients.add({ ...microsoftClient, provider: 'yahoo' as 'google' })).rejects.toBeInstanceOf(SystemMailConfigError);
  });

  it('feeds the validation context, so settings can refer to registered entries only', async () => {
    const store = await openSettingsStore({ path, key: KEY });
    const refused = await store.saveSettings(oauthSettings);
    expect(refused.ok ? [] : refused.issues.map((i) => i.code)).toContain('oauth.no-clients');
    await store.oauthClients.add(googleClient);
    expect((await store.saveSettings(oauthSettings)).ok).toBe(true);
    expect((await store.validationContext()).oauthClients).toEqual([googleClient]);
  });

  it("reads the validation context from any registries: the store's file-backed ones or an application's own", async () => {
    const store = await populated();
    expect(await validationContextOf(store)).toEqual(await store.validationContext());
    // An application keeping its mail feature servers elsewhere implements the interfaces itself.
    const servers = new Map<string, MailFeatureServer>([[plainServer.id, plainServer]]);
    const clients = new Map<string, OAuthClient>();
    const inMemory = <T extends { id: string }>(entries: Map<string, T>) => ({
      list: async () => [...entries.values()],
      get: async (id: string) => entries.get(id),
      add: async (entry: T) => void entries.set(entry.id, entry),
      remove: async (id: string) => entries.delete(id),
    });
    const registries: SettingsRegistries = { mailServers: inMemory(servers), oauthClients: inMemory(clients) };
    const onServer = (serverId: string) => ({ use: true, address: 'system@example.com', server: { type: 'mail-feature', serverId } });
    expect(validateSettings(onServer('mx1'), await validationContextOf(registries)).ok).toBe(true);
    expect(validateSettings(onServer('mx2'), await validationContextOf(registries))).toMatchObject({ ok: false, issues: [{ path: 'server.serverId', code: 'server-id.unknown' }] });
    await registries.mailServers.remove('mx1');
    expect(validateSettings(onServer('mx1'), await validationContextOf(registries)).ok).toBe(false);
  });

  it('remove returns whether there was an entry, and a removed client takes its tokens along', async () => {
    const store = await populated();
    expect(await store.oauthClients.remove('nope')).toBe(false);
    expect(await store.oauthClients.remove('google-main')).toBe(true);
    expect(await store.getOAuthState({ client: 'google-main', address: 'other@example.com' })).toBeUndefined();
    expect(await readFile(path, 'utf8')).not.toContain('other@example.com');
  });

  it('submitForm validates the posted fields with the registries and saves', async () => {
    const store = await openSettingsStore({ path, key: KEY });
    await store.mailServers.add(authServer);
    const r = await store.submitForm({ use: '1', address: 'system@example.com', serverType: 'mail-feature', serverId: 'mx2', account: 'a', password: 'mf-secret-4' });
    expect(r.ok).toBe(true);
    expect((await openSettingsStore({ path, key: KEY }).then((s) => s.getSettings()))?.server).toEqual({
      type: 'mail-feature',
      serverId: 'mx2',
      account: 'a',
      password: 'mf-secret-4',
    });
  });
});

describe('SettingsStore: OAuth authorization status', () => {
  async function authorizedStore(): Promise<SettingsStore> {
    const store = await openSettingsStore({ path, key: KEY });
    await store.oauthClients.add(googleClient);
    await store.oauthClients.add(microsoftClient);
    await store.saveSettings(oauthSettings);
    expect((await store.describe())?.oauth.status).toBe('authorization-required');
    await store.setOAuthState(
      { client: 'google-main', address: oauthSettings.address },
      { status: 'authorized', refreshToken: 'refresh-token-ABC', account: oauthSettings.address },
    );
    expect((await store.describe())?.oauth.status).toBe('authorized');
    return store;
  }

  it('stays authorized when only the timeout changes', async () => {
    const store = await authorizedStore();
    const r = await store.saveSettings({ ...oauthSettings, server: { ...oauthSettings.server, smtp: { timeoutSeconds: 90 } } });
    expect(r.ok).toBe(true);
    expect((await store.describe())?.oauth.status).toBe('authorized');
  });

  it('becomes 要認可 when the system address changes, and the old tokens are dropped', async () => {
    const store = await authorizedStore();
    await store.saveSettings({ ...oauthSettings, address: 'changed@gmail.example' });
    const details = await store.describe();
    expect(details?.oauth.status).toBe('authorization-required');
    expect(details?.oauth.label.ja).toBe('要認可');
    expect(await store.getOAuthState({ client: 'google-main', address: oauthSettings.address })).toBeUndefined();
  });

  it('becomes 要認可 when the OAuth client changes', async () => {
    const store = await authorizedStore();
    await store.saveSettings({ ...oauthSettings, server: { ...oauthSettings.server, oauth: { enabled: true, client: 'ms' } } });
    expect((await store.describe())?.oauth.status).toBe('authorization-required');
  });

  it('snapshot gives sending code the settings, the client with its secret and the token state', async () => {
    const store = await authorizedStore();
    const snapshot = await store.snapshot();
    expect(snapshot.settings).toEqual(oauthSettings);
    expect(snapshot.oauth?.client?.clientSecret).toBe('google-client-secret-XYZ');
    expect(snapshot.oauth?.state?.refreshToken).toBe('refresh-token-ABC');
  });
});
