import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOAuthServer, type FakeOAuthServer, type FakeOAuthServerOptions } from '@sysmail/test-servers';

const REDIRECT = 'http://127.0.0.1/callback';
const GOOGLE_SCOPE = 'https://mail.google.com/';
const MICROSOFT_SCOPE = 'offline_access https://outlook.office.com/SMTP.Send';

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

async function start(options: FakeOAuthServerOptions = {}): Promise<FakeOAuthServer> {
  const server = await startFakeOAuthServer({
    clients: [
      { clientId: 'gmail-app', clientSecret: 'g-secret', redirectUris: [REDIRECT, 'https://app.example/oauth'], flavour: 'google' },
      { clientId: 'exo-app', redirectUris: [REDIRECT], flavour: 'microsoft' },
    ],
    ...options,
  });
  servers.push(server);
  return server;
}

function authorizeUrl(endpoint: string, params: Record<string, string>): string {
  const url = new URL(endpoint);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
}

function googleRequest(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    client_id: 'gmail-app',
    redirect_uri: 'http://127.0.0.1:51234/callback',
    response_type: 'code',
    scope: GOOGLE_SCOPE,
    state: 'st-123',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    access_type: 'offline',
    ...overrides,
  };
}

function microsoftRequest(overrides: Record<string, string> = {}): Record<string, string> {
  const { access_type: _googleOnly, ...common } = googleRequest();
  return { ...common, client_id: 'exo-app', scope: MICROSOFT_SCOPE, ...overrides };
}

async function redirectOf(url: string): Promise<URL> {
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status).toBe(302);
  const location = response.headers.get('location');
  expect(location).not.toBeNull();
  return new URL(location ?? '');
}

describe('authorization endpoint', () => {
  it('grants a Google-style request with a code, the echoed state and the scope', async () => {
    const server = await start();
    const target = await redirectOf(authorizeUrl(server.urls.google.authorize, googleRequest()));
    expect(target.origin + target.pathname).toBe('http://127.0.0.1:51234/callback');
    expect(target.searchParams.get('state')).toBe('st-123');
    expect(target.searchParams.get('code')).toMatch(/^4\/0A[\w-]+$/);
    expect(target.searchParams.get('scope')).toBe(GOOGLE_SCOPE);
    expect(target.searchParams.has('session_state')).toBe(false);
    expect(server.authorizationCodesIssued).toBe(1);
  });

  it('grants a Microsoft-style request on any tenant, adding session_state', async () => {
    const server = await start();
    for (const tenant of ['common', 'organizations', 'contoso.onmicrosoft.com']) {
      const target = await redirectOf(authorizeUrl(server.urls.microsoft(tenant).authorize, microsoftRequest({ state: `s-${tenant}` })));
      expect(target.searchParams.get('state')).toBe(`s-${tenant}`);
      expect(target.searchParams.get('code')).toBeTruthy();
      expect(target.searchParams.get('session_state')).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(server.authorizationCodesIssued).toBe(3);
  });

  it('serves the generic /authorize path for either flavour', async () => {
    const server = await start();
    const target = await redirectOf(authorizeUrl(`${server.url}/authorize`, googleRequest()));
    expect(target.searchParams.get('code')).toBeTruthy();
  });

  it('matches loopback redirect URIs on any port, and others exactly', async () => {
    const server = await start();
    for (const uri of ['http://127.0.0.1/callback', 'http://127.0.0.1:80/callback', 'http://127.0.0.1:65000/callback']) {
      const target = await redirectOf(authorizeUrl(server.urls.google.authorize, googleRequest({ redirect_uri: uri })));
      expect(target.searchParams.get('code')).toBeTruthy();
    }
    const https = await redirectOf(authorizeUrl(server.urls.google.authorize, googleRequest({ redirect_uri: 'https://app.example/oauth' })));
    expect(https.href.startsWith('https://app.example/oauth?')).toBe(true);
    for (const uri of ['http://127.0.0.1:5000/other', 'https://app.example:8443/oauth', 'https://app.example/oauth/', 'http://localhost/callback']) {
      const response = await fetch(authorizeUrl(server.urls.google.authorize, googleRequest({ redirect_uri: uri })), { redirect: 'manual' });
      expect(response.status, uri).toBe(400);
      expect(response.headers.get('location')).toBeNull();
    }
  });

  it('answers an HTML 400 page, never a redirect, for an unknown client or redirect URI', async () => {
    const server = await start();
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      [server.urls.google.authorize, googleRequest({ client_id: 'nobody' }), /Error 400: invalid_client/],
      [server.urls.google.authorize, googleRequest({ redirect_uri: 'https://evil.example/steal' }), /Error 400: redirect_uri_mismatch/],
      [server.urls.microsoft().authorize, microsoftRequest({ client_id: 'nobody' }), /AADSTS700016/],
      [server.urls.microsoft().authorize, microsoftRequest({ redirect_uri: 'https://evil.example/steal' }), /AADSTS50011/],
    ];
    for (const [endpoint, params, heading] of cases) {
      const response = await fetch(authorizeUrl(endpoint, params), { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const page = await response.text();
      expect(page).toMatch(heading);
      expect(page).not.toContain('<script');
    }
    const missing = googleRequest();
    delete missing['client_id'];
    expect((await fetch(authorizeUrl(server.urls.google.authorize, missing), { redirect: 'manual' })).status).toBe(400);
    expect(server.authorizationCodesIssued).toBe(0);
  });

  it('escapes request values in the error page', async () => {
    const server = await start();
    const response = await fetch(authorizeUrl(server.urls.google.authorize, googleRequest({ client_id: '<script>alert(1)</script>' })), {
      redirect: 'manual',
    });
    const page = await response.text();
    expect(page).not.toContain('<script>');
    expect(page).toContain('&#60;script&#62;');
  });

  it('denies consent when the server is configured so, in each provider\'s words', async () => {
    const server = await start({ consent: 'deny' });
    const google = await redirectOf(authorizeUrl(server.urls.google.authorize, googleRequest()));
    expect(google.searchParams.get('error')).toBe('access_denied');
    expect(google.searchParams.get('error_description')).toBeTruthy();
    expect(google.searchParams.get('state')).toBe('st-123');
    expect(google.searchParams.has('code')).toBe(false);
    const microsoft = await redirectOf(authorizeUrl(server.urls.microsoft().authorize, microsoftRequest()));
    expect(microsoft.searchParams.get('error')).toBe('access_denied');
    expect(microsoft.searchParams.get('error_description')).toMatch(/^AADSTS65004: /);
    expect(microsoft.searchParams.get('state')).toBe('st-123');
    expect(server.authorizationCodesIssued).toBe(0);
  });

  it('lets a request override the server\'s consent with consent=deny or consent=grant', async () => {
    const granting = await start();
    const denied = await redirectOf(authorizeUrl(granting.urls.google.authorize, googleRequest({ consent: 'deny' })));
    expect(denied.searchParams.get('error')).toBe('access_denied');
    const denying = await start({ consent: 'deny' });
    const granted = await redirectOf(authorizeUrl(denying.urls.google.authorize, googleRequest({ consent: 'grant' })));
    expect(granted.searchParams.get('code')).toBeTruthy();
  });

  it('asks a consent function, which sees the client, scopes, account and hints', async () => {
    const seen: unknown[] = [];
    const server = await start({
      account: 'mailer@example.org',
      consent: (request) => {
        seen.push(request);
        return request.scopes.includes('offline_access') ? 'grant' : 'deny';
      },
    });
    const granted = await redirectOf(
      authorizeUrl(server.urls.microsoft().authorize, microsoftRequest({ login_hint: 'mailer@example.org', prompt: 'select_account' })),
    );
    expect(granted.searchParams.get('code')).toBeTruthy();
    const denied = await redirectOf(authorizeUrl(server.urls.google.authorize, googleRequest()));
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(seen[0]).toEqual({
      clientId: 'exo-app',
      flavour: 'microsoft',
      scopes: ['offline_access', 'https://outlook.office.com/SMTP.Send'],
      account: 'mailer@example.org',
      loginHint: 'mailer@example.org',
      prompt: 'select_account',
    });
  });

  it('redirects request errors back to the client with the state', async () => {
    const server = await start();
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ response_type: 'token' }, 'unsupported_response_type', /token/],
      [{ response_type: '' }, 'invalid_request', /response_type/],
      [{ scope: '' }, 'invalid_request', /scope/],
      [{ code_challenge: '' }, 'invalid_request', /code_challenge/],
      [{ code_challenge_method: 'plain' }, 'invalid_request', /code_challenge_method/],
      [{ code_challenge_method: '' }, 'invalid_request', /code_challenge_method/],
      [{ code_challenge: 'short' }, 'invalid_request', /code_challenge/],
      [{ prompt: 'bogus' }, 'invalid_request', /prompt/],
      [{ access_type: 'forever' }, 'invalid_request', /access_type/],
      [{ consent: 'maybe' }, 'invalid_request', /consent/],
    ];
    for (const [overrides, error, description] of cases) {
      const params = googleRequest(overrides);
      for (const [name, value] of Object.entries(overrides)) if (value === '') delete params[name];
      const target = await redirectOf(authorizeUrl(server.urls.google.authorize, params));
      expect(target.searchParams.get('error'), JSON.stringify(overrides)).toBe(error);
      expect(target.searchParams.get('error_description')).toMatch(description);
      expect(target.searchParams.get('state')).toBe('st-123');
      expect(target.searchParams.has('code')).toBe(false);
    }
    const plain = await redirectOf(authorizeUrl(server.urls.microsoft().authorize, microsoftRequest({ code_challenge_method: 'plain' })));
    expect(plain.searchParams.get('error_description')).toMatch(/^AADSTS\d+: .*code_challenge_method/);
    expect(server.authorizationCodesIssued).toBe(0);
  });

  it('refuses a repeated parameter', async () => {
    const server = await start();
    const url = new URL(authorizeUrl(server.urls.google.authorize, googleRequest()));
    url.searchParams.append('scope', 'openid');
    const target = await redirectOf(url.href);
    expect(target.searchParams.get('error')).toBe('invalid_request');
    url.searchParams.delete('scope');
    url.searchParams.append('redirect_uri', REDIRECT);
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(400);
  });

  it('keeps the query a redirect URI already has', async () => {
    const server = await start({ clients: [{ clientId: 'q', redirectUris: ['https://app.example/cb?tenant=7'], flavour: 'google' }] });
    const target = await redirectOf(
      authorizeUrl(server.urls.google.authorize, googleRequest({ client_id: 'q', redirect_uri: 'https://app.example/cb?tenant=7' })),
    );
    expect(target.searchParams.get('tenant')).toBe('7');
    expect(target.searchParams.get('code')).toBeTruthy();
  });

  it('answers 404 elsewhere and 405 to anything but GET on the authorization endpoint, issuing no code', async () => {
    const server = await start();
    expect((await fetch(`${server.url}/nothing-here`)).status).toBe(404);
    const post = await fetch(server.urls.google.authorize, { method: 'POST', body: 'x=1' });
    expect(post.status).toBe(405);
    await post.arrayBuffer();
    const head = await fetch(authorizeUrl(server.urls.google.authorize, googleRequest()), { method: 'HEAD', redirect: 'manual' });
    expect(head.status).toBe(405);
    expect(server.authorizationCodesIssued).toBe(0);
  });
});
