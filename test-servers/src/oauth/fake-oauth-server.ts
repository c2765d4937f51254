import * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { handleAuthorize } from './authorize-endpoint.js';
import type { EndpointContext, HttpAnswer } from './endpoint-context.js';
import type {
  AccessTokenVerdict,
  FakeOAuthServer,
  FakeOAuthServerOptions,
  OAuthClientRegistration,
  OAuthFlavour,
  OAuthRequestLogEntry,
  XOAuth2TokenVerifier,
} from './oauth-types.js';
import { assertRegistrableRedirectUri } from './redirect-uri-match.js';
import { REDACTED, redactParams } from './request-log.js';
import { handleToken } from './token-endpoint.js';
import { TokenStore } from './token-store.js';
import { registerTestSecret } from '../test-secrets.js';

/** A token request body larger than this is refused unread: real ones are a few hundred bytes. */
const MAX_FORM_BYTES = 64 * 1024;

/** The request log keeps this many latest entries, so a long-running standalone server stays bounded. */
const MAX_LOG_ENTRIES = 10_000;

/** The scope each provider names in its XOAUTH2 error challenge when the caller names none. */
const MAIL_SCOPES: Record<OAuthFlavour, string> = {
  google: 'https://mail.google.com/',
  microsoft: 'https://outlook.office.com/SMTP.Send',
};

type Route = { readonly endpoint: 'authorize' | 'token'; readonly flavour: OAuthFlavour | undefined };

/** Maps a path to an endpoint; the generic `/authorize` and `/token` serve either flavour. */
function route(path: string): Route | undefined {
  if (path === '/authorize') return { endpoint: 'authorize', flavour: undefined };
  if (path === '/o/oauth2/v2/auth') return { endpoint: 'authorize', flavour: 'google' };
  if (path === '/token') return { endpoint: 'token', flavour: undefined };
  const microsoft = /^\/[^/]+\/oauth2\/v2\.0\/(authorize|token)$/.exec(path);
  if (microsoft) return { endpoint: microsoft[1] === 'authorize' ? 'authorize' : 'token', flavour: 'microsoft' };
  return undefined;
}

function readForm(request: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function validateRegistration(client: OAuthClientRegistration): OAuthClientRegistration {
  if (!client.clientId) throw new TypeError('An OAuth client needs a non-empty clientId.');
  if (client.redirectUris.length === 0) throw new TypeError(`The OAuth client ${client.clientId} needs at least one redirect URI.`);
  for (const uri of client.redirectUris) assertRegistrableRedirectUri(uri);
  registerTestSecret('OAuth client secret', client.clientSecret);
  return { ...client, redirectUris: [...client.redirectUris] };
}

/**
 * Starts a fake OAuth 2.0 authorization server on 127.0.0.1 that imitates both Google's and the Microsoft
 * identity platform's authorization and token endpoints, so that a client written against the real ones
 * runs unchanged with the endpoints overridden. Consent is simulated without a user interface.
 *
 * @param options - port, account, consent, clients, lifetimes, clock
 * @returns the running server, once it listens
 */
export async function startFakeOAuthServer(options: FakeOAuthServerOptions = {}): Promise<FakeOAuthServer> {
  const now = options.now ?? Date.now;
  const accessTokenLifetimeSeconds = options.accessTokenLifetimeSeconds ?? 3600;
  const store = new TokenStore({
    now,
    accessTokenLifetimeSeconds,
    authorizationCodeLifetimeSeconds: options.authorizationCodeLifetimeSeconds ?? 600,
    refreshTokenIdleLifetimeSeconds: options.refreshTokenIdleLifetimeSeconds ?? 90 * 86_400,
  });
  const clients = new Map<string, OAuthClientRegistration>();
  for (const client of options.clients ?? []) clients.set(client.clientId, validateRegistration(client));
  const counters = { tokenRequests: 0, refreshCount: 0, authorizationCodesIssued: 0 };
  const requestLog: OAuthRequestLogEntry[] = [];
  const context: EndpointContext = {
    clients,
    store,
    account: options.account ?? 'notify@example.com',
    consent: options.consent ?? 'grant',
    now,
    accessTokenLifetimeSeconds,
    idTokenSigningKey: randomBytes(32),
    codeIssued: () => void counters.authorizationCodesIssued++,
    refreshRequested: () => void counters.refreshCount++,
  };

  const record = (entry: OAuthRequestLogEntry): void => {
    requestLog.push(entry);
    if (requestLog.length > MAX_LOG_ENTRIES) requestLog.shift();
    options.onRequest?.(entry);
  };

  const serve = async (request: http.IncomingMessage): Promise<{ answer: HttpAnswer; params: Record<string, string>; endpoint: OAuthRequestLogEntry['endpoint'] }> => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const target = route(url.pathname);
    if (target?.endpoint === 'authorize') {
      const params = redactParams(url.searchParams);
      // Only GET: a HEAD would issue a code nobody receives and skew the counters.
      if (request.method !== 'GET') {
        request.resume();
        return { answer: { status: 405, headers: { allow: 'GET' }, body: '' }, params, endpoint: 'authorize' };
      }
      return { answer: handleAuthorize(context, url.searchParams, target.flavour), params, endpoint: 'authorize' };
    }
    if (target?.endpoint === 'token') {
      counters.tokenRequests++;
      const body = await readForm(request);
      const form = body === undefined ? undefined : new URLSearchParams(body);
      const authorization = request.headers.authorization;
      const params = redactParams([...(form ?? []), ...(authorization !== undefined ? [['authorization', REDACTED] as [string, string]] : [])]);
      const answer = handleToken(
        context,
        { method: request.method ?? 'GET', contentType: request.headers['content-type'], authorization, form },
        target.flavour,
      );
      return { answer, params, endpoint: 'token' };
    }
    request.resume();
    return {
      answer: { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Not found\n' },
      params: {},
      endpoint: 'unknown',
    };
  };

  const server = http.createServer((request, response) => {
    const at = now();
    serve(request).then(
      ({ answer, params, endpoint }) => {
        record({
          at,
          method: request.method ?? '',
          path: new URL(request.url ?? '/', 'http://127.0.0.1').pathname,
          endpoint,
          params,
          status: answer.status,
          ...(answer.error !== undefined ? { error: answer.error } : {}),
        });
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body);
      },
      () => response.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | undefined;

  const flavourWithoutToken = (): OAuthFlavour => {
    const flavours = new Set([...clients.values()].map((c) => c.flavour));
    return flavours.size === 1 && flavours.has('microsoft') ? 'microsoft' : 'google';
  };

  return {
    port,
    url: base,
    urls: {
      google: { authorize: `${base}/o/oauth2/v2/auth`, token: `${base}/token` },
      microsoft: (tenant = 'common') => ({
        authorize: `${base}/${encodeURIComponent(tenant)}/oauth2/v2.0/authorize`,
        token: `${base}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`,
      }),
    },
    get tokenRequests() {
      return counters.tokenRequests;
    },
    get refreshCount() {
      return counters.refreshCount;
    },
    get authorizationCodesIssued() {
      return counters.authorizationCodesIssued;
    },
    get requestLog() {
      return requestLog;
    },
    registerClient(client) {
      clients.set(client.clientId, validateRegistration(client));
    },
    revokeRefreshToken: (refreshToken) => store.revokeRefreshToken(refreshToken),
    revokeAllFor: (account) => store.revokeAllFor(account),
    expireAccessTokens: () => store.expireAccessTokens(),
    verifyAccessToken(accessToken): AccessTokenVerdict {
      const { flavour: _flavour, ...verdict } = store.verifyAccessToken(accessToken);
      return verdict;
    },
    xoauth2Verifier(scope?: string): XOAuth2TokenVerifier {
      return (username, token) => {
        const verdict = store.verifyAccessToken(token);
        const granted =
          verdict.valid &&
          verdict.account.toLowerCase() === username.toLowerCase() &&
          (scope === undefined || verdict.scope.split(' ').includes(scope));
        if (granted) return true;
        const flavour = verdict.flavour ?? flavourWithoutToken();
        return { error: { status: '401', schemes: 'bearer', scope: scope ?? MAIL_SCOPES[flavour] } };
      };
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
