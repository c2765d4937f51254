import * as http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOAuthServer, type FakeOAuthServer, type OAuthFlavour } from '@sysmail/test-servers';
import { SystemMailConfigError, SystemMailDeliveryError } from '../src/errors.js';
import { openSettingsStore, type SettingsStore } from '../src/settings-store.js';
import type { OAuthClient } from '../src/validation-context.js';
import { beginAuthorization, completeAuthorization } from '../src/oauth/authorization-flow.js';
import { SystemMailOAuthError } from '../src/oauth/oauth-errors.js';
import { createOAuthTokenProvider } from '../src/oauth/token-provider.js';

const KEY = Buffer.alloc(32, 9).toString('base64');
const ADDRESS = 'notify@example.com';
const CLIENT_SECRET = 'client-secret-DO-NOT-LEAK-456';
const DAY_MS = 86_400_000;

let dir: string;
let server: FakeOAuthServer;
let serverNow: number;
let store: SettingsStore;
const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sysmail-oauth-tokens-'));
  serverNow = Date.now();
  server = await startFakeOAuthServer({ account: ADDRESS, now: () => serverNow });
  store = await openSettingsStore({ path: join(dir, 'system-mail.json'), key: KEY });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function clientFor(flavour: OAuthFlavour, overrides: Partial<OAuthClient> = {}): OAuthClient {
  const endpoints = flavour === 'google' ? server.urls.google : server.urls.microsoft('contoso.example');
  server.registerClient({
    clientId: `${flavour}-app`,
    clientSecret: CLIENT_SECRET,
    redirectUris: ['http://127.0.0.1/'],
    flavour,
    rotateRefreshTokens: flavour === 'microsoft',
  });
  return {
    id: flavour,
    provider: flavour,
    clientId: `${flavour}-app`,
    clientSecret: CLIENT_SECRET,
    ...(flavour === 'microsoft' ? { tenant: 'contoso.example' } : {}),
    authorizeEndpoint: endpoints.authorize,
    tokenEndpoint: endpoints.token,
    ...overrides,
  };
}

/** Registers the client, saves OAuth settings and signs in: the status is 認可済み. */
async function authorized(flavour: OAuthFlavour, overrides: Partial<OAuthClient> = {}): Promise<void> {
  const client = clientFor(flavour, overrides);
  await store.oauthClients.add(client);
  const saved = await store.saveSettings({
    use: true,
    address: ADDRESS,
    server: { type: 'dedicated', oauth: { enabled: true, client: client.id }, smtp: { timeoutSeconds: 20 }, auth: { method: 'none' } },
  });
  expect(saved.ok).toBe(true);
  const begun = await beginAuthorization(store, client.id);
  const redirect = await fetch(begun.url, { redirect: 'manual' });
  await completeAuthorization(store, redirect.headers.get('location') ?? '');
  expect((await store.describe())?.oauth.status).toBe('authorized');
}

async function stored(): Promise<{ accessToken: string; refreshToken: string; expiresAt: number }> {
  const state = await store.getOAuthState();
  return { accessToken: state?.accessToken ?? '', refreshToken: state?.refreshToken ?? '', expiresAt: state?.expiresAt ?? 0 };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

function expectNoSecret(value: unknown, secrets: readonly string[]): void {
  const texts = [inspect(value, { depth: 10, showHidden: true }), JSON.stringify(value) ?? ''];
  if (value instanceof Error) texts.push(value.message, String(value.stack), inspect(value.cause, { depth: 10, showHidden: true }));
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(8);
    for (const text of texts) expect(text).not.toContain(secret);
  }
}

type StubAnswer = { status: number; body: string };

/** A token endpoint that answers every request the same way, from the request's body, or never. */
async function startStubTokenEndpoint(answer: StubAnswer | ((requestBody: string) => StubAnswer) | 'silent'): Promise<string> {
  const stub = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (answer === 'silent') return;
      const { status, body } = typeof answer === 'function' ? answer(Buffer.concat(chunks).toString('utf8')) : answer;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        stub.close(() => resolve());
        stub.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(stub.address() as AddressInfo).port}/token`;
}

/** Changes a registered client; removing it drops its tokens, so they are put back as they were. */
async function changeClient(flavour: OAuthFlavour, change: Partial<OAuthClient>): Promise<void> {
  const ref = { client: flavour, address: ADDRESS };
  const state = await store.getOAuthState(ref);
  const client = await store.oauthClients.get(flavour);
  expect(client).toBeDefined();
  await store.oauthClients.remove(flavour);
  await store.oauthClients.add({ ...(client as OAuthClient), ...change });
  if (state !== undefined) await store.setOAuthState(ref, state);
}

describe.each(['google', 'microsoft'] as const)('token provider (%s)', (flavour) => {
  it('returns the stored access token without a request while it is fresh', async () => {
    await authorized(flavour);
    const { accessToken, expiresAt } = await stored();
    const provider = createOAuthTokenProvider(store, { now: () => expiresAt - 61_000 });
    const token = await provider.getAccessToken();
    expect(token.token).toBe(accessToken);
    expect(token.username).toBe(ADDRESS);
    expect(await provider.getAccessToken()).toMatchObject({ token: accessToken });
    expect(server.refreshCount).toBe(0);
  });

  it('refreshes a token that expires within 60 s and persists the result', async () => {
    await authorized(flavour);
    const before = await stored();
    const clock = before.expiresAt - 59_000;
    const provider = createOAuthTokenProvider(store, { now: () => clock });
    const token = await provider.getAccessToken();
    expect(server.refreshCount).toBe(1);
    expect(token.token).not.toBe(before.accessToken);
    expect(server.verifyAccessToken(token.token).valid).toBe(true);
    expect(token.expiresAt).toBe(clock + 3600_000);
    const after = await stored();
    expect(after.accessToken).toBe(token.token);
    expect(after.expiresAt).toBe(token.expiresAt);
    if (flavour === 'microsoft') {
      expect(after.refreshToken).not.toBe(before.refreshToken);
      const refresh = server.requestLog.filter((e) => e.endpoint === 'token').at(-1);
      expect(refresh?.params['scope']?.split(' ')).toContain('https://outlook.office.com/SMTP.Send');
    } else {
      expect(after.refreshToken).toBe(before.refreshToken);
    }
    const file = await readFile(store.path, 'utf8');
    for (const secret of [after.accessToken, after.refreshToken, CLIENT_SECRET]) expect(file).not.toContain(secret);
    // A store opened afresh (another process) sees the refreshed token.
    const reopened = await openSettingsStore({ path: store.path, key: KEY });
    expect((await reopened.getOAuthState())?.accessToken).toBe(token.token);
    // And the next call uses it without a request.
    expect((await provider.getAccessToken()).token).toBe(token.token);
    expect(server.refreshCount).toBe(1);
  });

  it('makes exactly one refresh for 20 concurrent callers', async () => {
    await authorized(flavour);
    const { expiresAt } = await stored();
    const provider = createOAuthTokenProvider(store, { now: () => expiresAt + 1 });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => provider.getAccessToken()));
    expect(server.refreshCount).toBe(1);
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(server.verifyAccessToken(tokens[0]?.token ?? '').valid).toBe(true);
  });

  it('sets the status back to 要認可 and asks to sign in again when the refresh token was revoked', async () => {
    await authorized(flavour);
    const before = await stored();
    expect(server.revokeRefreshToken(before.refreshToken)).toBe(true);
    const provider = createOAuthTokenProvider(store, { now: () => before.expiresAt });
    const error = (await failure(provider.getAccessToken())) as SystemMailOAuthError;
    expect(error).toBeInstanceOf(SystemMailConfigError);
    expect(error.reason).toBe('reauthorization-required');
    expect(error.oauthError).toBe('invalid_grant');
    expect(error.messages.ja).toContain('サインインし直して認可してください');
    expect(error.messages.en).toContain('Sign in with');
    expect((await store.describe())?.oauth.status).toBe('authorization-required');
    expect(await store.getOAuthState()).toEqual({ status: 'authorization-required' });
    expectNoSecret(error, [before.refreshToken, before.accessToken, CLIENT_SECRET]);
    // No refresh token left: later calls fail at once, without a request.
    const again = (await failure(provider.getAccessToken())) as SystemMailOAuthError;
    expect(again.reason).toBe('authorization-required');
    expect(server.refreshCount).toBe(1);
  });

  it('keeps 認可済み on a 503 temporarily_unavailable, a dead endpoint and a silent one', async () => {
    await authorized(flavour);
    const { expiresAt, refreshToken } = await stored();
    const secrets = [refreshToken, CLIENT_SECRET];
    const endpoints = [
      await startStubTokenEndpoint({ status: 503, body: JSON.stringify({ error: 'temporarily_unavailable', error_description: 'try later' }) }),
      await startStubTokenEndpoint({ status: 400, body: JSON.stringify({ error: 'temporarily_unavailable' }) }),
      await startStubTokenEndpoint({ status: 502, body: '<html>Bad gateway</html>' }),
      await startStubTokenEndpoint('silent'),
    ];
    const dead = http.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    endpoints.push(`http://127.0.0.1:${deadPort}/token`);
    for (const endpoint of endpoints) {
      await changeClient(flavour, { tokenEndpoint: endpoint });
      const provider = createOAuthTokenProvider(store, { now: () => expiresAt, timeoutMs: 300 });
      const error = (await failure(provider.getAccessToken())) as SystemMailDeliveryError;
      expect(error, endpoint).toBeInstanceOf(SystemMailDeliveryError);
      expect(error.phase).toBe('oauth');
      expect(error.transient).toBe(true);
      expect(error.messages.ja).toContain('しばらくしてから');
      expect((await store.describe())?.oauth.status).toBe('authorized');
      expect((await store.getOAuthState())?.refreshToken).toBe(refreshToken);
      expectNoSecret(error, secrets);
    }
  });
});

describe('token provider details', () => {
  it('reports Microsoft’s 90-day inactivity expiry (AADSTS700082) as 要認可', async () => {
    await authorized('microsoft');
    const { expiresAt } = await stored();
    serverNow += 91 * DAY_MS;
    const provider = createOAuthTokenProvider(store, { now: () => expiresAt + 91 * DAY_MS });
    const error = (await failure(provider.getAccessToken())) as SystemMailOAuthError;
    expect(error.reason).toBe('reauthorization-required');
    expect(error.message).toContain('AADSTS700082');
    expect((await store.describe())?.oauth.status).toBe('authorization-required');
  });

  it('keeps using the rotated refresh token (Microsoft), refresh after refresh', async () => {
    await authorized('microsoft');
    let clock = (await stored()).expiresAt;
    const provider = createOAuthTokenProvider(store, { now: () => clock });
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const token = await provider.getAccessToken();
      seen.add((await stored()).refreshToken);
      clock = token.expiresAt;
    }
    expect(server.refreshCount).toBe(3);
    expect(seen.size).toBe(3);
    expect((await store.describe())?.oauth.status).toBe('authorized');
  });

  it('invalidate() makes the next call refresh; forceRefresh() always does', async () => {
    await authorized('google');
    const { accessToken, expiresAt } = await stored();
    const provider = createOAuthTokenProvider(store, { now: () => expiresAt - 600_000 });
    expect((await provider.getAccessToken()).token).toBe(accessToken);
    provider.invalidate();
    const refreshed = await provider.getAccessToken();
    expect(refreshed.token).not.toBe(accessToken);
    expect(server.refreshCount).toBe(1);
    expect((await provider.getAccessToken()).token).toBe(refreshed.token);
    const forced = await provider.forceRefresh();
    expect(forced.token).not.toBe(refreshed.token);
    expect(server.refreshCount).toBe(2);
  });

  it('shares one refresh between providers of the same store file', async () => {
    await authorized('microsoft');
    const { expiresAt } = await stored();
    const other = await openSettingsStore({ path: store.path, key: KEY });
    const a = createOAuthTokenProvider(store, { now: () => expiresAt });
    const b = createOAuthTokenProvider(other, { now: () => expiresAt });
    const [x, y] = await Promise.all([a.getAccessToken(), b.getAccessToken()]);
    expect(x.token).toBe(y.token);
    expect(server.refreshCount).toBe(1);
    expect((await b.getAccessToken()).token).toBe(x.token);
    expect(server.refreshCount).toBe(1);
  });

  it('refreshes with the refresh token another process rotated, not the retired one it read first', async () => {
    await authorized('microsoft');
    const first = await stored();
    const here = store;
    const elsewhere = await openSettingsStore({ path: store.path, key: KEY });
    const rotated = await createOAuthTokenProvider(elsewhere, { now: () => first.expiresAt }).getAccessToken();
    expect(server.refreshCount).toBe(1);
    // This store object still holds the retired refresh token in memory; using it would be invalid_grant.
    const later = createOAuthTokenProvider(here, { now: () => rotated.expiresAt });
    const token = await later.getAccessToken();
    expect(server.refreshCount).toBe(2);
    expect(server.verifyAccessToken(token.token).valid).toBe(true);
    expect((await here.describe())?.oauth.status).toBe('authorized');
    expect(server.requestLog.filter((e) => e.endpoint === 'token').map((e) => e.error)).toEqual([undefined, undefined, undefined]);
  });

  it('fails without a request before any sign-in, and without OAuth settings', async () => {
    const provider = createOAuthTokenProvider(store);
    expect(((await failure(provider.getAccessToken())) as SystemMailOAuthError).reason).toBe('not-configured');
    await store.oauthClients.add(clientFor('google'));
    await store.saveSettings({
      use: true,
      address: ADDRESS,
      server: { type: 'dedicated', oauth: { enabled: true, client: 'google' }, smtp: { timeoutSeconds: 20 }, auth: { method: 'none' } },
    });
    const error = (await failure(provider.getAccessToken())) as SystemMailOAuthError;
    expect(error.reason).toBe('authorization-required');
    expect(error.messages.ja).toContain('要認可');
    expect(server.tokenRequests).toBe(0);
  });

  it('reports a wrong client secret as a configuration error and keeps 認可済み', async () => {
    await authorized('google');
    const { expiresAt, refreshToken } = await stored();
    await changeClient('google', { clientSecret: 'wrong-secret-SHOULD-NOT-SHOW' });
    const provider = createOAuthTokenProvider(store, { now: () => expiresAt + 1 });
    const error = (await failure(provider.getAccessToken())) as SystemMailOAuthError;
    expect(error.reason).toBe('client-rejected');
    expect(error.oauthError).toBe('invalid_client');
    expect((await store.describe())?.oauth.status).toBe('authorized');
    expectNoSecret(error, ['wrong-secret-SHOULD-NOT-SHOW', refreshToken]);
  });

  it('never repeats a secret a misbehaving token endpoint echoes back', async () => {
    await authorized('google');
    const { expiresAt, refreshToken } = await stored();
    const provider = createOAuthTokenProvider(store, { now: () => expiresAt + 1 });
    const echoes: [StubAnswer['status'], (body: string) => string, string][] = [
      [400, (body) => JSON.stringify({ error: 'invalid_request', error_description: `bad request: ${decodeURIComponent(body)}` }), 'token-request-refused'],
      [400, (body) => JSON.stringify({ error: 'invalid_grant', error_description: decodeURIComponent(body) }), 'reauthorization-required'],
      [400, (body) => JSON.stringify({ error: 'invalid_scope', error_description: body }), 'token-request-refused'],
      [200, (body) => `{"access_token": ${decodeURIComponent(body)}`, 'invalid-response'],
      [200, (body) => JSON.stringify({ token_type: 'Bearer', note: body }), 'invalid-response'],
    ];
    for (const [status, answer, reason] of echoes) {
      await store.setOAuthState({ client: 'google', address: ADDRESS }, { status: 'authorized', refreshToken, account: ADDRESS });
      await changeClient('google', { tokenEndpoint: await startStubTokenEndpoint((body) => ({ status, body: answer(body) })) });
      const error = (await failure(provider.getAccessToken())) as SystemMailOAuthError;
      expect(error.reason).toBe(reason);
      expectNoSecret(error, [refreshToken, encodeURIComponent(refreshToken), CLIENT_SECRET]);
    }
  });

  it('passes an abort through as the signal’s reason', async () => {
    await authorized('google');
    const { expiresAt } = await stored();
    await changeClient('google', { tokenEndpoint: await startStubTokenEndpoint('silent') });
    const controller = new AbortController();
    const provider = createOAuthTokenProvider(store, { now: () => expiresAt + 1, signal: controller.signal });
    const pending = provider.getAccessToken();
    const reason = new Error('shutting down');
    setTimeout(() => controller.abort(reason), 20);
    await expect(pending).rejects.toBe(reason);
    expect((await store.describe())?.oauth.status).toBe('authorized');
  });

  it('never shows a token in util.inspect or JSON of what it hands out', async () => {
    await authorized('google');
    const token = await createOAuthTokenProvider(store).getAccessToken();
    const provider = createOAuthTokenProvider(store);
    expect(inspect(token)).not.toContain(token.token);
    expect(JSON.stringify(token)).not.toContain(token.token);
    expect(inspect(provider, { showHidden: true, depth: 10 })).not.toContain(token.token);
    expect(inspect(provider, { showHidden: true, depth: 10 })).not.toContain(CLIENT_SECRET);
  });
});
