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
import { beginAuthorization, completeAuthorization, DEFAULT_REDIRECT_URI } from '../src/oauth/authorization-flow.js';
import { authorizeInteractively } from '../src/oauth/interactive-authorization.js';
import { startLoopbackRedirectListener } from '../src/oauth/loopback-redirect-listener.js';
import { SystemMailOAuthError } from '../src/oauth/oauth-errors.js';
import { createPkcePair } from '../src/oauth/pkce.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const ADDRESS = 'notify@example.com';
const CLIENT_SECRET = 'client-secret-DO-NOT-LEAK-123';

let dir: string;
let server: FakeOAuthServer;
let store: SettingsStore;
const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sysmail-oauth-'));
  server = await startFakeOAuthServer({ account: ADDRESS });
  store = await openSettingsStore({ path: join(dir, 'system-mail.json'), key: KEY });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function clientFor(flavour: OAuthFlavour, id = flavour): OAuthClient {
  const endpoints = flavour === 'google' ? server.urls.google : server.urls.microsoft('contoso.example');
  server.registerClient({
    clientId: `${id}-app`,
    clientSecret: CLIENT_SECRET,
    redirectUris: ['http://127.0.0.1/', 'http://127.0.0.1/oauth2/callback'],
    flavour,
    rotateRefreshTokens: flavour === 'microsoft',
  });
  return {
    id,
    provider: flavour,
    clientId: `${id}-app`,
    clientSecret: CLIENT_SECRET,
    ...(flavour === 'microsoft' ? { tenant: 'contoso.example' } : {}),
    authorizeEndpoint: endpoints.authorize,
    tokenEndpoint: endpoints.token,
  };
}

async function saveOAuthSettings(client: string, address = ADDRESS): Promise<void> {
  const result = await store.saveSettings({
    use: true,
    address,
    server: { type: 'dedicated', oauth: { enabled: true, client }, smtp: { timeoutSeconds: 20 }, auth: { method: 'none' } },
  });
  expect(result.ok).toBe(true);
}

async function setUp(flavour: OAuthFlavour): Promise<OAuthClient> {
  const client = clientFor(flavour);
  await store.oauthClients.add(client);
  await saveOAuthSettings(client.id);
  return client;
}

async function status(): Promise<string | undefined> {
  return (await store.describe())?.oauth.status;
}

/** Follows the authorization URL like a browser would, stopping at the provider's redirect. */
async function followAuthorization(url: string): Promise<string> {
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status).toBe(302);
  const location = response.headers.get('location');
  expect(location).not.toBeNull();
  return location ?? '';
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

function expectNoSecret(error: unknown, secrets: readonly string[]): void {
  const texts = [inspect(error, { depth: 10, showHidden: true }), String((error as Error).message), inspect((error as Error).cause, { depth: 10 })];
  for (const secret of secrets) for (const text of texts) expect(text).not.toContain(secret);
}

describe.each(['google', 'microsoft'] as const)('authorization-code flow with PKCE (%s)', (flavour) => {
  it('goes from 要認可 to 認可済み through the loopback listener, with tokens encrypted at rest', async () => {
    const client = await setUp(flavour);
    expect(await status()).toBe('authorization-required');

    const listener = await startLoopbackRedirectListener({ path: '/oauth2/callback' });
    cleanups.push(() => listener.close());
    expect(listener.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth2\/callback$/);
    const begun = await beginAuthorization(store, client.id, { redirectUri: listener.redirectUri });
    const url = new URL(begun.url);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBe(begun.state);
    expect(url.searchParams.get('redirect_uri')).toBe(listener.redirectUri);
    expect(url.searchParams.get('login_hint')).toBe(ADDRESS);
    if (flavour === 'google') {
      expect(url.pathname).toBe('/o/oauth2/v2/auth');
      expect(url.searchParams.get('access_type')).toBe('offline');
      expect(url.searchParams.get('prompt')).toBe('consent');
      expect(url.searchParams.get('scope')?.split(' ')).toContain('https://mail.google.com/');
    } else {
      expect(url.pathname).toBe('/contoso.example/oauth2/v2.0/authorize');
      expect(url.searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['https://outlook.office.com/SMTP.Send', 'offline_access']));
    }

    const location = await followAuthorization(begun.url);
    const page = await fetch(location);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('認可の応答を受け取りました');
    const callbackUrl = await listener.callbackUrl;
    expect(callbackUrl).toBe(location);

    const done = await completeAuthorization(store, callbackUrl);
    expect(done.account).toBe(ADDRESS);
    expect(await status()).toBe('authorized');
    const state = await store.getOAuthState();
    expect(state?.status).toBe('authorized');
    expect(state?.account).toBe(ADDRESS);
    expect(server.verifyAccessToken(state?.accessToken ?? '').valid).toBe(true);
    expect(state?.expiresAt).toBe(done.expiresAt);

    const file = await readFile(store.path, 'utf8');
    for (const secret of [state?.accessToken, state?.refreshToken, CLIENT_SECRET]) {
      expect(secret).toBeTruthy();
      expect(file).not.toContain(secret);
    }
    const exchange = server.requestLog.find((e) => e.endpoint === 'token');
    expect(exchange?.params['grant_type']).toBe('authorization_code');
    expect(exchange?.params['redirect_uri']).toBe(listener.redirectUri);
  });

  it('refuses a PKCE mismatch at the server and reports it, storing nothing', async () => {
    const client = await setUp(flavour);
    const begun = await beginAuthorization(store, client.id);
    // An attacker's challenge in place of ours: the code is then bound to a verifier we do not hold.
    const tampered = new URL(begun.url);
    tampered.searchParams.set('code_challenge', createPkcePair().challenge);
    const callback = await followAuthorization(tampered.href);
    const error = await failure(completeAuthorization(store, callback));
    expect(error).toBeInstanceOf(SystemMailOAuthError);
    expect((error as SystemMailOAuthError).reason).toBe('code-rejected');
    expect((error as SystemMailOAuthError).oauthError).toBe('invalid_grant');
    expect((error as SystemMailOAuthError).messages.ja).toContain('認可を最初からやり直してください');
    expect(server.requestLog.at(-1)?.error).toBe('invalid_grant');
    expect(await status()).toBe('authorization-required');
    expectNoSecret(error, [new URL(callback).searchParams.get('code') ?? '', CLIENT_SECRET]);
  });

  it('reports access_denied clearly, in both languages', async () => {
    const client = await setUp(flavour);
    const begun = await beginAuthorization(store, client.id);
    const denied = new URL(begun.url);
    denied.searchParams.set('consent', 'deny');
    const callback = await followAuthorization(denied.href);
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    const error = (await failure(completeAuthorization(store, callback))) as SystemMailOAuthError;
    expect(error).toBeInstanceOf(SystemMailConfigError);
    expect(error.reason).toBe('access-denied');
    expect(error.messages.ja).toContain('アクセスが許可されませんでした');
    expect(error.messages.en).toContain('Access was not granted');
    expect(server.tokenRequests).toBe(0);
    expect(await status()).toBe('authorization-required');
  });
});

describe('authorization callback checks', () => {
  it('refuses a state that was never issued, and stores nothing', async () => {
    const client = await setUp('google');
    const begun = await beginAuthorization(store, client.id);
    const callback = new URL(await followAuthorization(begun.url));
    callback.searchParams.set('state', 'forged-state');
    const error = (await failure(completeAuthorization(store, callback.href))) as SystemMailOAuthError;
    expect(error.reason).toBe('state-mismatch');
    expect(error.messages.ja).toContain('state');
    expect(server.tokenRequests).toBe(0);
    expect(await store.getOAuthState()).toEqual({ status: 'authorization-required' });
  });

  it('refuses a callback without a state, and a second use of the same state', async () => {
    const client = await setUp('google');
    const begun = await beginAuthorization(store, client.id);
    const callback = await followAuthorization(begun.url);
    const stateless = new URL(callback);
    stateless.searchParams.delete('state');
    expect(((await failure(completeAuthorization(store, stateless.href))) as SystemMailOAuthError).reason).toBe('state-mismatch');
    await completeAuthorization(store, callback);
    expect(((await failure(completeAuthorization(store, callback))) as SystemMailOAuthError).reason).toBe('state-mismatch');
    expect(server.tokenRequests).toBe(1);
  });

  it('refuses a callback more than 10 minutes after the authorization began', async () => {
    const client = await setUp('microsoft');
    let now = 1_700_000_000_000;
    const begun = await beginAuthorization(store, client.id, { now: () => now });
    expect(begun.expiresAt).toBe(now + 600_000);
    const callback = await followAuthorization(begun.url);
    now += 600_000;
    const error = (await failure(completeAuthorization(store, callback, { now: () => now }))) as SystemMailOAuthError;
    expect(error.reason).toBe('authorization-expired');
    expect(server.tokenRequests).toBe(0);
  });

  it('refuses a callback that arrived at another redirect URI', async () => {
    const client = await setUp('google');
    const begun = await beginAuthorization(store, client.id, { redirectUri: 'http://127.0.0.1/oauth2/callback' });
    const callback = new URL(await followAuthorization(begun.url));
    callback.pathname = '/elsewhere';
    expect(((await failure(completeAuthorization(store, callback.href))) as SystemMailOAuthError).reason).toBe('redirect-mismatch');
    expect(server.tokenRequests).toBe(0);
  });

  it('uses the port-less loopback redirect URI by default, for pasting the address bar', async () => {
    const client = await setUp('google');
    const begun = await beginAuthorization(store, client.id);
    expect(begun.redirectUri).toBe(DEFAULT_REDIRECT_URI);
    const callback = await followAuthorization(begun.url);
    expect(callback.startsWith(DEFAULT_REDIRECT_URI)).toBe(true);
    await completeAuthorization(store, callback);
    expect(await status()).toBe('authorized');
  });

  it('refuses to begin for a client the settings do not use, or without OAuth settings', async () => {
    await expect(beginAuthorization(store, 'google')).rejects.toMatchObject({ reason: 'not-configured' });
    const client = await setUp('google');
    await store.oauthClients.add(clientFor('microsoft'));
    await expect(beginAuthorization(store, 'microsoft')).rejects.toMatchObject({ reason: 'not-configured' });
    await expect(beginAuthorization(store, client.id)).resolves.toMatchObject({ redirectUri: DEFAULT_REDIRECT_URI });
  });

  it('refuses an authorization endpoint over plain http on a non-loopback host', async () => {
    await store.oauthClients.add({ ...clientFor('google'), authorizeEndpoint: 'http://accounts.example.com/auth' });
    await saveOAuthSettings('google');
    await expect(beginAuthorization(store, 'google')).rejects.toMatchObject({ reason: 'insecure-endpoint' });
  });

  it('does not store tokens when the settings changed while the code was out', async () => {
    const client = await setUp('google');
    const begun = await beginAuthorization(store, client.id);
    const callback = await followAuthorization(begun.url);
    await saveOAuthSettings(client.id, 'other@example.com');
    const error = (await failure(completeAuthorization(store, callback))) as SystemMailOAuthError;
    expect(error.reason).toBe('settings-changed');
    expect(await store.getOAuthState({ client: client.id, address: ADDRESS })).toBeUndefined();
    expect(await status()).toBe('authorization-required');
  });

  it('reports an unreachable token endpoint as transient, and stores nothing', async () => {
    const client = clientFor('google');
    const dead = http.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    await store.oauthClients.add({ ...client, tokenEndpoint: `http://127.0.0.1:${port}/token` });
    await saveOAuthSettings(client.id);
    const begun = await beginAuthorization(store, client.id);
    const error = (await failure(completeAuthorization(store, await followAuthorization(begun.url)))) as SystemMailDeliveryError;
    expect(error).toBeInstanceOf(SystemMailDeliveryError);
    expect(error.phase).toBe('oauth');
    expect(error.transient).toBe(true);
    expect(await store.getOAuthState()).toEqual({ status: 'authorization-required' });
  });

  it('takes the account from the ID token when it differs from the system address', async () => {
    await server.close();
    server = await startFakeOAuthServer({ account: 'Sender.Box@contoso.example' });
    const client = await setUp('microsoft');
    const begun = await beginAuthorization(store, client.id);
    const done = await completeAuthorization(store, await followAuthorization(begun.url));
    expect(done.account).toBe('Sender.Box@contoso.example');
    expect((await store.getOAuthState())?.account).toBe('Sender.Box@contoso.example');
  });
});

describe('status after saving settings', () => {
  async function authorize(clientId: string): Promise<void> {
    const begun = await beginAuthorization(store, clientId);
    await completeAuthorization(store, await followAuthorization(begun.url));
    expect(await status()).toBe('authorized');
  }

  it('goes back to 要認可 when the system address changes, and the old tokens are gone', async () => {
    const client = await setUp('google');
    await authorize(client.id);
    await saveOAuthSettings(client.id, 'renamed@example.com');
    expect(await status()).toBe('authorization-required');
    expect(await store.getOAuthState({ client: client.id, address: ADDRESS })).toBeUndefined();
  });

  it('goes back to 要認可 when the OAuth client changes, and stays 認可済み when only the timeout changes', async () => {
    const client = await setUp('google');
    await authorize(client.id);
    const result = await store.saveSettings({
      use: true,
      address: ADDRESS,
      server: { type: 'dedicated', oauth: { enabled: true, client: client.id }, smtp: { timeoutSeconds: 60 }, auth: { method: 'none' } },
    });
    expect(result.ok).toBe(true);
    expect(await status()).toBe('authorized');
    await store.oauthClients.add(clientFor('microsoft'));
    await saveOAuthSettings('microsoft');
    expect(await status()).toBe('authorization-required');
  });
});

describe('loopback redirect listener', () => {
  it('answers other paths with 404 without resolving, then takes exactly one callback and closes', async () => {
    const listener = await startLoopbackRedirectListener();
    cleanups.push(() => listener.close());
    const favicon = await fetch(new URL('/favicon.ico', listener.redirectUri));
    expect(favicon.status).toBe(404);
    await favicon.text();
    const plain = await fetch(listener.redirectUri);
    expect(plain.status).toBe(404);
    await plain.text();
    const answer = await fetch(`${listener.redirectUri}?error=access_denied&state=s`);
    expect(answer.headers.get('content-type')).toContain('text/html');
    const html = await answer.text();
    expect(html).toContain('認可されませんでした');
    expect(html).toContain('Access was not granted');
    expect(await listener.callbackUrl).toBe(`${listener.redirectUri}?error=access_denied&state=s`);
    await expect(fetch(listener.redirectUri)).rejects.toThrow();
  });

  it('gives up with a timeout error', async () => {
    const listener = await startLoopbackRedirectListener({ timeoutMs: 50 });
    cleanups.push(() => listener.close());
    const error = (await failure(listener.callbackUrl)) as SystemMailOAuthError;
    expect(error).toBeInstanceOf(SystemMailOAuthError);
    expect(error.reason).toBe('timeout');
    await expect(fetch(listener.redirectUri)).rejects.toThrow();
  });

  it('stops on abort with the signal reason, and close() is idempotent', async () => {
    const controller = new AbortController();
    const listener = await startLoopbackRedirectListener({ signal: controller.signal });
    const reason = new Error('cancelled by the administrator');
    controller.abort(reason);
    await expect(listener.callbackUrl).rejects.toBe(reason);
    await listener.close();
    await listener.close();
    await expect(fetch(listener.redirectUri)).rejects.toThrow();
  });

  it('refuses to start on an already aborted signal', async () => {
    await expect(startLoopbackRedirectListener({ signal: AbortSignal.abort() })).rejects.toThrow();
  });
});

describe('interactive authorization (system-mail authorize)', () => {
  it('presents the URL, receives the browser redirect and ends 認可済み', async () => {
    const client = await setUp('microsoft');
    const presented: string[] = [];
    const done = await authorizeInteractively(store, client.id, {
      presentUrl: async (url) => {
        presented.push(url);
        // The administrator's browser: sign in, be redirected to the loopback listener.
        const location = await followAuthorization(url);
        void fetch(location).then((r) => r.text());
      },
    });
    expect(presented).toHaveLength(1);
    expect(done.account).toBe(ADDRESS);
    expect(await status()).toBe('authorized');
  });

  it('stops when cancelled while waiting for the browser, and closes the listener', async () => {
    const client = await setUp('google');
    const controller = new AbortController();
    const reason = new Error('Ctrl-C');
    let redirectUri = '';
    const error = await failure(
      authorizeInteractively(store, client.id, {
        signal: controller.signal,
        presentUrl: (url) => {
          redirectUri = new URL(url).searchParams.get('redirect_uri') ?? '';
          setTimeout(() => controller.abort(reason), 10);
        },
      }),
    );
    expect(error).toBe(reason);
    await expect(fetch(redirectUri)).rejects.toThrow();
    expect(await status()).toBe('authorization-required');
  });

  it('reports a denial from the browser and closes the listener', async () => {
    const client = await setUp('google');
    let redirectUri = '';
    const error = (await failure(
      authorizeInteractively(store, client.id, {
        presentUrl: async (url) => {
          const denied = new URL(url);
          redirectUri = denied.searchParams.get('redirect_uri') ?? '';
          denied.searchParams.set('consent', 'deny');
          void fetch(await followAuthorization(denied.href)).then((r) => r.text());
        },
      }),
    )) as SystemMailOAuthError;
    expect(error.reason).toBe('access-denied');
    await expect(fetch(redirectUri)).rejects.toThrow();
  });
});
