import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClientMechanism, createServerMechanism } from '@sysmail/sasl';
import { startFakeOAuthServer, type FakeOAuthServer, type FakeOAuthServerOptions, type OAuthEndpoints } from '@sysmail/test-servers';

const REDIRECT = 'http://127.0.0.1:40999/cb';
const GOOGLE_SCOPE = 'https://mail.google.com/';
const SMTP_SEND = 'https://outlook.office.com/SMTP.Send';

/** A PKCE pair as RFC 7636 §4.1–4.2 builds it: 32 random bytes, and their SHA-256 in base64url. */
function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

let servers: FakeOAuthServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function start(options: FakeOAuthServerOptions = {}): Promise<{ server: FakeOAuthServer; clock: { now: number } }> {
  const clock = { now: Date.UTC(2026, 3, 1) };
  const server = await startFakeOAuthServer({
    now: () => clock.now,
    clients: [
      { clientId: 'gmail-app', clientSecret: 'TopSecret-g', redirectUris: ['http://127.0.0.1/cb'], flavour: 'google' },
      { clientId: 'exo-app', clientSecret: 'TopSecret-m', redirectUris: ['http://127.0.0.1/cb'], flavour: 'microsoft' },
    ],
    ...options,
  });
  servers.push(server);
  return { server, clock };
}

/** Runs the whole code flow and returns the token response. */
async function obtainTokens(endpoints: OAuthEndpoints, clientId: string, secret: string, scope: string): Promise<Record<string, string>> {
  const { verifier, challenge } = pkce();
  const url = new URL(endpoints.authorize);
  const params = { client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', scope, code_challenge: challenge, code_challenge_method: 'S256', access_type: 'offline' };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const authorization = await fetch(url, { redirect: 'manual' });
  const code = new URL(authorization.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const response = await fetch(endpoints.token, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: clientId, client_secret: secret }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, string>;
}

const googleTokens = (server: FakeOAuthServer): Promise<Record<string, string>> =>
  obtainTokens(server.urls.google, 'gmail-app', 'TopSecret-g', GOOGLE_SCOPE);
const microsoftTokens = (server: FakeOAuthServer): Promise<Record<string, string>> =>
  obtainTokens(server.urls.microsoft(), 'exo-app', 'TopSecret-m', `offline_access ${SMTP_SEND}`);

function refresh(server: FakeOAuthServer, refreshToken: string): Promise<Response> {
  return fetch(server.urls.google.token, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'gmail-app', client_secret: 'TopSecret-g' }),
  });
}

describe('access token verification', () => {
  it('expires access tokens by the injected clock, without sleeping', async () => {
    const { server, clock } = await start({ accessTokenLifetimeSeconds: 2 });
    const tokens = await googleTokens(server);
    expect(tokens['expires_in']).toBe(2);
    const token = tokens['access_token'] ?? '';
    clock.now += 1999;
    expect(server.verifyAccessToken(token)).toMatchObject({ valid: true });
    clock.now += 1;
    expect(server.verifyAccessToken(token)).toEqual({ valid: false, reason: 'expired' });
    const renewed = (await (await refresh(server, tokens['refresh_token'] ?? '')).json()) as Record<string, string>;
    expect(server.verifyAccessToken(renewed['access_token'] ?? '')).toMatchObject({ valid: true, account: 'notify@example.com' });
  });

  it('expires every access token on demand, and knows none it never issued', async () => {
    const { server } = await start();
    const google = await googleTokens(server);
    const microsoft = await microsoftTokens(server);
    expect(server.verifyAccessToken(microsoft['access_token'] ?? '')).toEqual({
      valid: true,
      account: 'notify@example.com',
      scope: `offline_access ${SMTP_SEND}`,
      clientId: 'exo-app',
    });
    server.expireAccessTokens();
    expect(server.verifyAccessToken(google['access_token'] ?? '')).toEqual({ valid: false, reason: 'expired' });
    expect(server.verifyAccessToken(microsoft['access_token'] ?? '')).toEqual({ valid: false, reason: 'expired' });
    expect(server.verifyAccessToken('ya29.forged')).toEqual({ valid: false, reason: 'unknown' });
    // Tokens issued afterwards are not affected.
    expect(server.verifyAccessToken((await googleTokens(server))['access_token'] ?? '')).toMatchObject({ valid: true });
  });
});

describe('xoauth2Verifier', () => {
  it('accepts a live token of the named account, case-insensitively', async () => {
    const { server } = await start({ account: 'Notify@Example.com' });
    const token = (await googleTokens(server))['access_token'] ?? '';
    expect(server.xoauth2Verifier()('notify@example.com', token)).toBe(true);
    expect(server.xoauth2Verifier(GOOGLE_SCOPE)('NOTIFY@EXAMPLE.COM', token)).toBe(true);
  });

  it('answers the provider\'s JSON error for another account, a missing scope, an expired or unknown token', async () => {
    const { server } = await start();
    const google = (await googleTokens(server))['access_token'] ?? '';
    const microsoft = (await microsoftTokens(server))['access_token'] ?? '';
    const verify = server.xoauth2Verifier();
    const googleError = { error: { status: '401', schemes: 'bearer', scope: GOOGLE_SCOPE } };
    const microsoftError = { error: { status: '401', schemes: 'bearer', scope: SMTP_SEND } };
    expect(verify('someone@example.com', google)).toEqual(googleError);
    expect(verify('someone@example.com', microsoft)).toEqual(microsoftError);
    expect(server.xoauth2Verifier('https://outlook.office.com/POP.AccessAsUser.All')('notify@example.com', microsoft)).toEqual({
      error: { status: '401', schemes: 'bearer', scope: 'https://outlook.office.com/POP.AccessAsUser.All' },
    });
    expect(verify('notify@example.com', 'forged')).toEqual(googleError);
    server.expireAccessTokens();
    expect(verify('notify@example.com', microsoft)).toEqual(microsoftError);
  });

  it('words the error for an unknown token as the only registered provider does', async () => {
    const { server } = await start({ clients: [{ clientId: 'exo-only', redirectUris: ['http://127.0.0.1/cb'], flavour: 'microsoft' }] });
    expect(server.xoauth2Verifier()('notify@example.com', 'forged')).toEqual({ error: { status: '401', schemes: 'bearer', scope: SMTP_SEND } });
  });

  it('plugs into the @sysmail/sasl XOAUTH2 server half: success, or the error challenge then failure', async () => {
    const { server } = await start();
    const token = (await googleTokens(server))['access_token'] ?? '';
    const verifier = { lookupPassword: () => undefined, verifyToken: server.xoauth2Verifier(GOOGLE_SCOPE) };
    const context = { service: 'smtp', host: '127.0.0.1' };

    const good = createClientMechanism('XOAUTH2', { username: 'notify@example.com', accessToken: token }, context);
    expect(createServerMechanism('XOAUTH2', verifier).step(good.initialResponse())).toMatchObject({ type: 'success', identity: 'notify@example.com' });

    server.revokeAllFor('notify@example.com');
    const refused = createClientMechanism('XOAUTH2', { username: 'notify@example.com', accessToken: token }, context);
    const mechanism = createServerMechanism('XOAUTH2', verifier);
    const first = mechanism.step(refused.initialResponse());
    expect(first.type).toBe('challenge');
    if (first.type !== 'challenge') return;
    expect(JSON.parse(Buffer.from(first.challenge).toString('utf8'))).toEqual({ status: '401', schemes: 'bearer', scope: GOOGLE_SCOPE });
    expect(mechanism.step(refused.respond(first.challenge)).type).toBe('failure');
  });
});

describe('counters and request log', () => {
  it('counts token requests, refreshes and issued codes exactly, under concurrency', async () => {
    const { server } = await start();
    const tokens = await googleTokens(server);
    await microsoftTokens(server);
    expect(server.authorizationCodesIssued).toBe(2);
    expect(server.tokenRequests).toBe(2);
    expect(server.refreshCount).toBe(0);
    const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(server, tokens['refresh_token'] ?? '')));
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 200));
    await Promise.all(answers.map((a) => a.arrayBuffer()));
    expect(server.refreshCount).toBe(20);
    expect(server.tokenRequests).toBe(22);
    expect(server.authorizationCodesIssued).toBe(2);
  });

  it('logs every request with its outcome and never a secret', async () => {
    const seen: unknown[] = [];
    const { server, clock } = await start({ onRequest: (entry) => seen.push(entry) });
    const tokens = await googleTokens(server);
    clock.now += 5000;
    await (await refresh(server, tokens['refresh_token'] ?? '')).arrayBuffer();
    await (await refresh(server, 'forged-refresh-token')).arrayBuffer();
    const log = server.requestLog;
    expect(seen).toEqual(log);
    expect(log.map((e) => [e.endpoint, e.method, e.path, e.status, e.error])).toEqual([
      ['authorize', 'GET', '/o/oauth2/v2/auth', 302, undefined],
      ['token', 'POST', '/token', 200, undefined],
      ['token', 'POST', '/token', 200, undefined],
      ['token', 'POST', '/token', 400, 'invalid_grant'],
    ]);
    expect(log[0]?.params['client_id']).toBe('gmail-app');
    expect(log[1]?.params).toMatchObject({ grant_type: 'authorization_code', code: '[redacted]', code_verifier: '[redacted]', client_secret: '[redacted]' });
    expect(log[2]?.at).toBe(Date.UTC(2026, 3, 1) + 5000);
    const text = JSON.stringify(log);
    for (const secret of ['TopSecret-g', tokens['refresh_token'], tokens['access_token'], 'forged-refresh-token']) expect(text).not.toContain(secret);
  });
});

describe('client registration', () => {
  it('registers and replaces clients at run time', async () => {
    const { server } = await start();
    server.registerClient({ clientId: 'late', clientSecret: 'late-secret', redirectUris: ['http://127.0.0.1/cb'], flavour: 'microsoft' });
    const tokens = await obtainTokens(server.urls.microsoft('common'), 'late', 'late-secret', `offline_access ${SMTP_SEND}`);
    expect(server.verifyAccessToken(tokens['access_token'] ?? '')).toMatchObject({ valid: true, clientId: 'late' });
    server.registerClient({ clientId: 'late', clientSecret: 'rotated-secret', redirectUris: ['http://127.0.0.1/cb'], flavour: 'microsoft' });
    await expect(obtainTokens(server.urls.microsoft('common'), 'late', 'late-secret', SMTP_SEND)).rejects.toThrow();
  });

  it('refuses a registration without redirect URIs, with a relative one or with a fragment', async () => {
    const { server } = await start();
    expect(() => server.registerClient({ clientId: 'x', redirectUris: [], flavour: 'google' })).toThrow(TypeError);
    expect(() => server.registerClient({ clientId: 'x', redirectUris: ['/cb'], flavour: 'google' })).toThrow(TypeError);
    expect(() => server.registerClient({ clientId: 'x', redirectUris: ['https://a.example/cb#frag'], flavour: 'google' })).toThrow(TypeError);
    expect(() => server.registerClient({ clientId: '', redirectUris: ['https://a.example/cb'], flavour: 'google' })).toThrow(TypeError);
  });

  it('publishes the endpoint URLs of each flavour', async () => {
    const { server } = await start();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.urls.google).toEqual({ authorize: `${server.url}/o/oauth2/v2/auth`, token: `${server.url}/token` });
    expect(server.urls.microsoft()).toEqual({
      authorize: `${server.url}/common/oauth2/v2.0/authorize`,
      token: `${server.url}/common/oauth2/v2.0/token`,
    });
    expect(server.urls.microsoft('contoso.example').token).toBe(`${server.url}/contoso.example/oauth2/v2.0/token`);
  });
});

describe('close', () => {
  const tcpHandles = (): number => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;

  it('closes keep-alive connections too and leaves no handle open; a second close is harmless', async () => {
    // Sockets of earlier tests' servers may still be finishing their close.
    await expect.poll(tcpHandles, { timeout: 2000 }).toBe(0);
    const server = await startFakeOAuthServer({
      clients: [{ clientId: 'gmail-app', clientSecret: 'TopSecret-g', redirectUris: ['http://127.0.0.1/cb'], flavour: 'google' }],
    });
    await googleTokens(server);
    expect(tcpHandles()).toBeGreaterThan(0);
    await server.close();
    await server.close();
    await expect.poll(tcpHandles, { timeout: 2000 }).toBe(0);
    await expect(fetch(server.urls.google.token, { method: 'POST' })).rejects.toThrow();
  });

  it('does not wait for a client stuck in the middle of a request', async () => {
    const server = await startFakeOAuthServer();
    const socket = net.connect(server.port, '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=');
    await expect.poll(() => server.requestLog.length === 0 && socket.bytesWritten > 0).toBe(true);
    await server.close();
    await closed;
    expect(socket.destroyed).toBe(true);
  });
});
