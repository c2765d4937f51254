import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOAuthServer, type FakeOAuthServer, type FakeOAuthServerOptions, type OAuthEndpoints } from '@sysmail/test-servers';

const REDIRECT = 'http://127.0.0.1:40123/callback';
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

/** A server with a hand-driven clock, a confidential Google client and a public Microsoft one. */
async function start(options: FakeOAuthServerOptions = {}): Promise<{ server: FakeOAuthServer; clock: { now: number } }> {
  const clock = { now: Date.UTC(2026, 0, 5, 9, 0, 0) };
  const server = await startFakeOAuthServer({
    now: () => clock.now,
    clients: [
      { clientId: 'gmail-app', clientSecret: 'g+secret/with:odd&chars', redirectUris: ['http://127.0.0.1/callback'], flavour: 'google' },
      { clientId: 'exo-app', redirectUris: ['http://127.0.0.1/callback'], flavour: 'microsoft' },
      { clientId: 'exo-rotating', clientSecret: 'm-secret', redirectUris: ['http://127.0.0.1/callback'], flavour: 'microsoft', rotateRefreshTokens: true },
    ],
    ...options,
  });
  servers.push(server);
  return { server, clock };
}

interface Authorized {
  readonly code: string;
  readonly verifier: string;
}

async function authorize(endpoints: OAuthEndpoints, params: Record<string, string>): Promise<Authorized> {
  const { verifier, challenge } = pkce();
  const url = new URL(endpoints.authorize);
  const all = { response_type: 'code', redirect_uri: REDIRECT, state: 'x', code_challenge: challenge, code_challenge_method: 'S256', ...params };
  for (const [name, value] of Object.entries(all)) url.searchParams.set(name, value);
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status).toBe(302);
  const code = new URL(response.headers.get('location') ?? '').searchParams.get('code');
  expect(code).toBeTruthy();
  return { code: code ?? '', verifier };
}

const googleAuthorization = (server: FakeOAuthServer, extra: Record<string, string> = {}): Promise<Authorized> =>
  authorize(server.urls.google, { client_id: 'gmail-app', scope: GOOGLE_SCOPE, access_type: 'offline', ...extra });
const microsoftAuthorization = (server: FakeOAuthServer, clientId = 'exo-app', extra: Record<string, string> = {}): Promise<Authorized> =>
  authorize(server.urls.microsoft('organizations'), { client_id: clientId, scope: `offline_access ${SMTP_SEND}`, ...extra });

interface TokenAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

async function postToken(tokenUrl: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<TokenAnswer> {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

function googleExchange(server: FakeOAuthServer, auth: Authorized, extra: Record<string, string> = {}): Promise<TokenAnswer> {
  return postToken(server.urls.google.token, {
    grant_type: 'authorization_code',
    code: auth.code,
    redirect_uri: REDIRECT,
    code_verifier: auth.verifier,
    client_id: 'gmail-app',
    client_secret: 'g+secret/with:odd&chars',
    ...extra,
  });
}

function microsoftExchange(server: FakeOAuthServer, auth: Authorized, extra: Record<string, string> = {}): Promise<TokenAnswer> {
  return postToken(server.urls.microsoft('organizations').token, {
    grant_type: 'authorization_code',
    code: auth.code,
    redirect_uri: REDIRECT,
    code_verifier: auth.verifier,
    client_id: 'exo-app',
    ...extra,
  });
}

function basic(id: string, secret: string): string {
  const encode = (s: string): string => new URLSearchParams({ s }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}

function expectError(answer: TokenAnswer, status: number, error: string, description: RegExp | string): void {
  expect(answer.status).toBe(status);
  expect(answer.body['error']).toBe(error);
  if (typeof description === 'string') expect(answer.body['error_description']).toBe(description);
  else expect(answer.body['error_description']).toMatch(description);
}

function decodeJwtPayload(jwt: string): Record<string, unknown> {
  const [, payload] = jwt.split('.');
  return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('authorization code grant', () => {
  it('runs the full Google flow for a confidential client', async () => {
    const { server } = await start();
    const answer = await googleExchange(server, await googleAuthorization(server));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.body).toEqual({
      access_token: expect.stringMatching(/^ya29\./),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: GOOGLE_SCOPE,
      refresh_token: expect.stringMatching(/^1\/\//),
    });
    expect(server.verifyAccessToken(String(answer.body['access_token']))).toEqual({
      valid: true,
      account: 'notify@example.com',
      scope: GOOGLE_SCOPE,
      clientId: 'gmail-app',
    });
  });

  it('runs the full Microsoft flow for a public client, with an ID token when openid is asked', async () => {
    const { server } = await start({ account: 'system@contoso.example', accessTokenLifetimeSeconds: 2 });
    const auth = await microsoftAuthorization(server, 'exo-app', { scope: `openid offline_access ${SMTP_SEND}`, nonce: 'n-42' });
    const answer = await microsoftExchange(server, auth);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 2, ext_expires_in: 2, scope: `openid offline_access ${SMTP_SEND}` });
    expect(typeof answer.body['refresh_token']).toBe('string');
    const claims = decodeJwtPayload(String(answer.body['id_token']));
    expect(claims).toMatchObject({ aud: 'exo-app', preferred_username: 'system@contoso.example', nonce: 'n-42' });
    expect(claims['iss']).toMatch(/^https:\/\/login\.microsoftonline\.com\//);
  });

  it('gives a refresh token only for offline access, as each provider does', async () => {
    const { server } = await start();
    const online = await googleExchange(server, await googleAuthorization(server, { access_type: 'online' }));
    expect(online.status).toBe(200);
    expect(online.body).not.toHaveProperty('refresh_token');
    const noOfflineScope = await microsoftExchange(server, await microsoftAuthorization(server, 'exo-app', { scope: SMTP_SEND }));
    expect(noOfflineScope.status).toBe(200);
    expect(noOfflineScope.body).not.toHaveProperty('refresh_token');
  });

  it('requires the identical redirect URI, loopback port included, at the token endpoint', async () => {
    const { server } = await start();
    const auth = await googleAuthorization(server);
    expectError(await googleExchange(server, auth, { redirect_uri: 'http://127.0.0.1:40124/callback' }), 400, 'invalid_grant', 'Bad Request');
    const ms = await microsoftAuthorization(server);
    expectError(await microsoftExchange(server, ms, { redirect_uri: 'http://127.0.0.1/callback' }), 400, 'invalid_grant', /^AADSTS50011: /);
  });

  it('refuses a wrong PKCE verifier, and the code is spent', async () => {
    const { server } = await start();
    const auth = await googleAuthorization(server);
    expectError(await googleExchange(server, auth, { code_verifier: pkce().verifier }), 400, 'invalid_grant', 'Invalid code verifier.');
    expectError(await googleExchange(server, auth), 400, 'invalid_grant', 'Bad Request');
    const ms = await microsoftAuthorization(server);
    expectError(await microsoftExchange(server, ms, { code_verifier: 'x'.repeat(43) }), 400, 'invalid_grant', /^AADSTS501481: /);
  });

  it('refuses a missing or malformed verifier', async () => {
    const { server } = await start();
    const auth = await googleAuthorization(server);
    const { code_verifier: _dropped, ...withoutVerifier } = {
      grant_type: 'authorization_code',
      code: auth.code,
      redirect_uri: REDIRECT,
      code_verifier: auth.verifier,
      client_id: 'gmail-app',
      client_secret: 'g+secret/with:odd&chars',
    };
    expectError(await postToken(server.urls.google.token, withoutVerifier), 400, 'invalid_request', 'Missing code verifier.');
    expectError(await googleExchange(server, auth, { code_verifier: 'too-short' }), 400, 'invalid_grant', 'Invalid code verifier.');
  });

  it('refuses a reused code and revokes what the first use issued (RFC 6749 §4.1.2)', async () => {
    const { server } = await start();
    const auth = await microsoftAuthorization(server);
    const first = await microsoftExchange(server, auth);
    expect(first.status).toBe(200);
    expectError(await microsoftExchange(server, auth), 400, 'invalid_grant', /^AADSTS54005: .*already redeemed/);
    expect(server.verifyAccessToken(String(first.body['access_token']))).toEqual({ valid: false, reason: 'revoked' });
    const google = await googleAuthorization(server);
    expect((await googleExchange(server, google)).status).toBe(200);
    expectError(await googleExchange(server, google), 400, 'invalid_grant', 'Bad Request');
  });

  it('refuses an expired code', async () => {
    const { server, clock } = await start({ authorizationCodeLifetimeSeconds: 60 });
    const ms = await microsoftAuthorization(server);
    const google = await googleAuthorization(server);
    clock.now += 60_000;
    expectError(await microsoftExchange(server, ms), 400, 'invalid_grant', /^AADSTS70008: .*expired/);
    expectError(await googleExchange(server, google), 400, 'invalid_grant', 'Bad Request');
  });

  it('refuses an unknown code and a code issued to another client', async () => {
    const { server } = await start();
    expectError(await googleExchange(server, { code: '4/0Anonsense', verifier: pkce().verifier }), 400, 'invalid_grant', 'Malformed auth code.');
    const other = await microsoftAuthorization(server, 'exo-rotating');
    expectError(await microsoftExchange(server, other), 400, 'invalid_grant', /^AADSTS70000: /);
  });
});

describe('client authentication', () => {
  it('accepts the secret in the form body or in HTTP Basic, form-urlencoded', async () => {
    const { server } = await start();
    const auth = await googleAuthorization(server);
    const answer = await postToken(
      server.urls.google.token,
      { grant_type: 'authorization_code', code: auth.code, redirect_uri: REDIRECT, code_verifier: auth.verifier },
      { authorization: basic('gmail-app', 'g+secret/with:odd&chars') },
    );
    expect(answer.status).toBe(200);
    expect(server.requestLog.at(-1)?.params['authorization']).toBe('[redacted]');
  });

  it('answers 401 invalid_client for a wrong, missing or unknown client credential', async () => {
    const { server } = await start();
    const auth = await googleAuthorization(server);
    expectError(await googleExchange(server, auth, { client_secret: 'wrong' }), 401, 'invalid_client', 'Unauthorized');
    const { client_secret: _dropped, ...noSecret } = {
      grant_type: 'authorization_code',
      code: auth.code,
      redirect_uri: REDIRECT,
      code_verifier: auth.verifier,
      client_id: 'gmail-app',
      client_secret: '',
    };
    expectError(await postToken(server.urls.google.token, noSecret), 401, 'invalid_client', 'client_secret is missing.');
    expectError(await googleExchange(server, auth, { client_id: 'ghost' }), 401, 'invalid_client', 'The OAuth client was not found.');
    const basicWrong = await postToken(
      server.urls.microsoft().token,
      { grant_type: 'authorization_code', code: auth.code, redirect_uri: REDIRECT, code_verifier: auth.verifier },
      { authorization: basic('exo-rotating', 'nope') },
    );
    expectError(basicWrong, 401, 'invalid_client', /^AADSTS7000215: /);
    expectError(await microsoftExchange(server, auth, { client_id: 'ghost' }), 401, 'invalid_client', /^AADSTS700016: /);
    // The failed attempts never reached the code, so it still works.
    expect((await googleExchange(server, auth)).status).toBe(200);
  });

  it('refuses two authentication methods at once, and a malformed Authorization header', async () => {
    const { server } = await start();
    const auth = await googleAuthorization(server);
    const both = await postToken(
      server.urls.google.token,
      { grant_type: 'authorization_code', code: auth.code, redirect_uri: REDIRECT, code_verifier: auth.verifier, client_secret: 'g+secret/with:odd&chars' },
      { authorization: basic('gmail-app', 'g+secret/with:odd&chars') },
    );
    expectError(both, 400, 'invalid_request', /both HTTP Basic and client_secret/);
    const bearer = await postToken(server.urls.google.token, { grant_type: 'authorization_code' }, { authorization: 'Bearer abc' });
    expectError(bearer, 400, 'invalid_request', /Authorization header/);
  });
});

describe('refresh token grant', () => {
  it('refreshes a Google access token without rotating the refresh token', async () => {
    const { server } = await start();
    const first = await googleExchange(server, await googleAuthorization(server));
    const refreshToken = String(first.body['refresh_token']);
    const refreshed = await postToken(server.urls.google.token, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: 'gmail-app',
      client_secret: 'g+secret/with:odd&chars',
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toEqual({ access_token: expect.stringMatching(/^ya29\./), token_type: 'Bearer', expires_in: 3600, scope: GOOGLE_SCOPE });
    expect(refreshed.body['access_token']).not.toBe(first.body['access_token']);
    expect(server.refreshCount).toBe(1);
    expect(server.tokenRequests).toBe(2);
  });

  it('answers invalid_grant after revocation, in each provider\'s words', async () => {
    const { server } = await start();
    const google = await googleExchange(server, await googleAuthorization(server));
    const microsoft = await microsoftExchange(server, await microsoftAuthorization(server));
    expect(server.revokeRefreshToken(String(google.body['refresh_token']))).toBe(true);
    expect(server.revokeRefreshToken('never-issued')).toBe(false);
    expect(server.revokeAllFor('NOTIFY@example.com')).toBe(1);
    const googleRefresh = await postToken(server.urls.google.token, {
      grant_type: 'refresh_token',
      refresh_token: String(google.body['refresh_token']),
      client_id: 'gmail-app',
      client_secret: 'g+secret/with:odd&chars',
    });
    expectError(googleRefresh, 400, 'invalid_grant', 'Token has been expired or revoked.');
    const microsoftRefresh = await postToken(server.urls.microsoft('organizations').token, {
      grant_type: 'refresh_token',
      refresh_token: String(microsoft.body['refresh_token']),
      client_id: 'exo-app',
    });
    expectError(microsoftRefresh, 400, 'invalid_grant', /^AADSTS50173: .*revoked/);
    expect(microsoftRefresh.body['error_codes']).toEqual([50173]);
    expect(microsoftRefresh.body['error_description']).toMatch(/\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: 2026-01-05 09:00:00Z$/);
    expect(server.verifyAccessToken(String(google.body['access_token']))).toEqual({ valid: false, reason: 'revoked' });
    expect(server.verifyAccessToken(String(microsoft.body['access_token']))).toEqual({ valid: false, reason: 'revoked' });
  });

  it('rotates refresh tokens for a client configured so, retiring the old one', async () => {
    const { server } = await start();
    const auth = await microsoftAuthorization(server, 'exo-rotating');
    const first = await microsoftExchange(server, auth, { client_id: 'exo-rotating', client_secret: 'm-secret' });
    const refresh = (token: unknown): Promise<TokenAnswer> =>
      postToken(server.urls.microsoft('organizations').token, {
        grant_type: 'refresh_token',
        refresh_token: String(token),
        client_id: 'exo-rotating',
        client_secret: 'm-secret',
        scope: SMTP_SEND,
      });
    const second = await refresh(first.body['refresh_token']);
    expect(second.status).toBe(200);
    expect(second.body['scope']).toBe(SMTP_SEND);
    expect(typeof second.body['refresh_token']).toBe('string');
    expect(second.body['refresh_token']).not.toBe(first.body['refresh_token']);
    expectError(await refresh(first.body['refresh_token']), 400, 'invalid_grant', /^AADSTS70000: /);
    expect((await refresh(second.body['refresh_token'])).status).toBe(200);
  });

  it('expires a refresh token left unused too long (AADSTS700082)', async () => {
    const { server, clock } = await start({ refreshTokenIdleLifetimeSeconds: 3600 });
    const tokens = await microsoftExchange(server, await microsoftAuthorization(server));
    const refresh = (): Promise<TokenAnswer> =>
      postToken(server.urls.microsoft().token, { grant_type: 'refresh_token', refresh_token: String(tokens.body['refresh_token']), client_id: 'exo-app' });
    clock.now += 3000_000;
    expect((await refresh()).status).toBe(200);
    clock.now += 3000_000;
    expect((await refresh()).status).toBe(200);
    clock.now += 3600_000;
    expectError(await refresh(), 400, 'invalid_grant', /^AADSTS700082: The refresh token has expired due to inactivity\..*0\.01:00:00/);
  });

  it('refuses a scope beyond the grant, an unknown token and another client\'s token', async () => {
    const { server } = await start();
    const tokens = await microsoftExchange(server, await microsoftAuthorization(server));
    const refreshToken = String(tokens.body['refresh_token']);
    const wider = await postToken(server.urls.microsoft().token, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: 'exo-app',
      scope: `${SMTP_SEND} https://outlook.office.com/IMAP.AccessAsUser.All`,
    });
    expectError(wider, 400, 'invalid_scope', /^AADSTS70011: .*IMAP/);
    const unknown = await postToken(server.urls.microsoft().token, { grant_type: 'refresh_token', refresh_token: 'forged', client_id: 'exo-app' });
    expectError(unknown, 400, 'invalid_grant', /^AADSTS9002313: /);
    const stolen = await postToken(server.urls.microsoft().token, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: 'exo-rotating',
      client_secret: 'm-secret',
    });
    expectError(stolen, 400, 'invalid_grant', /^AADSTS70000: /);
    expect(server.refreshCount).toBe(3);
  });
});

describe('malformed token requests', () => {
  it('refuses unsupported or missing grant types and missing parameters', async () => {
    const { server } = await start();
    const secret = { client_id: 'gmail-app', client_secret: 'g+secret/with:odd&chars' };
    expectError(await postToken(server.urls.google.token, { grant_type: 'password', ...secret }), 400, 'unsupported_grant_type', 'Invalid grant_type: password');
    expectError(
      await postToken(server.urls.microsoft().token, { grant_type: 'client_credentials', client_id: 'exo-app' }),
      400,
      'unsupported_grant_type',
      /^AADSTS70003: /,
    );
    expectError(await postToken(server.urls.google.token, secret), 400, 'invalid_request', 'Missing required parameter: grant_type');
    expectError(await postToken(server.urls.google.token, { grant_type: 'authorization_code', ...secret }), 400, 'invalid_request', 'Missing required parameter: code');
    expectError(
      await postToken(server.urls.microsoft().token, { grant_type: 'refresh_token' }),
      400,
      'invalid_request',
      /^AADSTS900144: .*'client_id'/,
    );
  });

  it('refuses a body that is not form-encoded, a GET and an oversized body', async () => {
    const { server } = await start();
    const json = await fetch(server.urls.google.token, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token' }),
    });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error: string }).error).toBe('invalid_request');
    const get = await fetch(server.urls.google.token);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    await get.arrayBuffer();
    const huge = await postToken(server.urls.google.token, { grant_type: 'refresh_token', padding: 'x'.repeat(70_000) });
    expectError(huge, 400, 'invalid_request', /too large/);
  });
});
