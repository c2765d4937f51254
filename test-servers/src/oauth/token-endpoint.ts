import { timingSafeEqual } from 'node:crypto';
import { singleParam, type EndpointContext, type HttpAnswer } from './endpoint-context.js';
import { createIdToken } from './id-token.js';
import type { OAuthClientRegistration, OAuthFlavour } from './oauth-types.js';
import { isCodeVerifier } from './pkce.js';
import { tokenErrorAnswer, type TokenFailure } from './provider-errors.js';
import type { IssuedTokens } from './token-store.js';
import { registerTestSecret } from '../test-secrets.js';

/** The token request as the server read it off the wire. */
export interface TokenRequest {
  readonly method: string;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  /** The form parameters, or undefined when the body was too large to read. */
  readonly form: URLSearchParams | undefined;
}

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  pragma: 'no-cache',
};

function answerJson(status: number, body: object, error?: string): HttpAnswer {
  return { status, headers: JSON_HEADERS, body: JSON.stringify(body), ...(error ? { error } : {}) };
}

/** HTTP Basic client credentials: each half is form-urlencoded before base64 (RFC 6749 §2.3.1). */
function parseBasic(header: string): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    const unescape = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
    return { clientId: unescape(decoded.slice(0, colon)), clientSecret: unescape(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

type Authenticated = { readonly client: OAuthClientRegistration } | { readonly failure: TokenFailure; readonly flavour?: OAuthFlavour };

function authenticateClient(context: EndpointContext, request: TokenRequest, form: URLSearchParams): Authenticated {
  const basic = request.authorization !== undefined ? parseBasic(request.authorization) : undefined;
  if (request.authorization !== undefined && !basic) {
    return { failure: { kind: 'malformed-request', detail: 'The Authorization header is not valid HTTP Basic client authentication.' } };
  }
  const formId = singleParam(form, 'client_id');
  const formSecret = singleParam(form, 'client_secret');
  if (formId === null || formSecret === null) return { failure: { kind: 'malformed-request', detail: 'A client parameter is repeated.' } };
  if (basic && formSecret !== undefined) {
    return { failure: { kind: 'malformed-request', detail: 'The client authenticated with both HTTP Basic and client_secret.' } };
  }
  if (basic && formId !== undefined && formId !== basic.clientId) {
    return { failure: { kind: 'malformed-request', detail: 'client_id differs from the HTTP Basic user name.' } };
  }
  const clientId = basic?.clientId ?? formId;
  if (!clientId) return { failure: { kind: 'missing-parameter', parameter: 'client_id' } };
  const client = context.clients.get(clientId);
  if (!client) return { failure: { kind: 'unknown-client', clientId } };
  const secret = basic?.clientSecret ?? formSecret;
  registerTestSecret('OAuth client secret sent by the client', secret);
  if (basic) registerTestSecret('HTTP Basic client credentials', request.authorization?.replace(/^Basic\s+/i, ''));
  if (client.clientSecret !== undefined) {
    if (secret === undefined) return { failure: { kind: 'client-secret-missing' }, flavour: client.flavour };
    if (!sameSecret(secret, client.clientSecret)) return { failure: { kind: 'client-secret-wrong', clientId }, flavour: client.flavour };
  }
  return { client };
}

function success(context: EndpointContext, client: OAuthClientRegistration, issued: IssuedTokens): HttpAnswer {
  const body: Record<string, string | number> = {
    access_token: issued.accessToken,
    token_type: 'Bearer',
    expires_in: context.accessTokenLifetimeSeconds,
    scope: issued.scope,
  };
  if (client.flavour === 'microsoft') body['ext_expires_in'] = context.accessTokenLifetimeSeconds;
  if (issued.refreshToken !== undefined) body['refresh_token'] = issued.refreshToken;
  if (issued.scope.split(' ').includes('openid')) {
    body['id_token'] = createIdToken(issued.grant, context.idTokenSigningKey, context.now(), context.accessTokenLifetimeSeconds);
  }
  return answerJson(200, body);
}

function required(form: URLSearchParams, name: string): string | TokenFailure {
  const value = singleParam(form, name);
  if (value === null) return { kind: 'malformed-request', detail: `The parameter '${name}' is repeated.` };
  if (!value) return { kind: 'missing-parameter', parameter: name };
  return value;
}

function grantTokens(context: EndpointContext, client: OAuthClientRegistration, form: URLSearchParams): IssuedTokens | TokenFailure {
  const grantType = required(form, 'grant_type');
  if (typeof grantType !== 'string') return grantType;
  if (grantType === 'authorization_code') {
    const code = required(form, 'code');
    if (typeof code !== 'string') return code;
    const redirectUri = required(form, 'redirect_uri');
    if (typeof redirectUri !== 'string') return redirectUri;
    const verifier = required(form, 'code_verifier');
    if (typeof verifier !== 'string') return verifier;
    if (!isCodeVerifier(verifier)) return { kind: 'code-verifier-mismatch' };
    return context.store.redeemCode(code, client.clientId, redirectUri, verifier);
  }
  if (grantType === 'refresh_token') {
    const refreshToken = required(form, 'refresh_token');
    if (typeof refreshToken !== 'string') return refreshToken;
    const scope = singleParam(form, 'scope');
    if (scope === null) return { kind: 'malformed-request', detail: "The parameter 'scope' is repeated." };
    return context.store.refresh(refreshToken, client.clientId, scope || undefined, client.rotateRefreshTokens === true);
  }
  return { kind: 'unsupported-grant-type', grantType };
}

/**
 * The token endpoint: authenticates the client (form body or HTTP Basic, never both), then redeems an
 * authorization code with its PKCE verifier or refreshes an access token, answering errors as the
 * client's provider words them.
 *
 * @param pathFlavour - the flavour implied by the path, used to word errors before the client is known
 */
export function handleToken(context: EndpointContext, request: TokenRequest, pathFlavour: OAuthFlavour | undefined): HttpAnswer {
  const fail = (flavour: OAuthFlavour | undefined, failure: TokenFailure): HttpAnswer => {
    const answer = tokenErrorAnswer(flavour ?? pathFlavour ?? 'google', failure, context.now());
    return answerJson(answer.status, answer.body, answer.body.error);
  };
  if (request.method !== 'POST') {
    return { ...fail(undefined, { kind: 'malformed-request', detail: 'The token endpoint only accepts POST.' }), status: 405, headers: { ...JSON_HEADERS, allow: 'POST' } };
  }
  if (!request.form) return fail(undefined, { kind: 'malformed-request', detail: 'The request body is too large.' });
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(request.contentType ?? '')) {
    return fail(undefined, { kind: 'malformed-request', detail: 'The body must be application/x-www-form-urlencoded.' });
  }
  // Counted before client authentication so that a test sees every refresh attempt, failed ones included.
  if (request.form.get('grant_type') === 'refresh_token') context.refreshRequested();
  const authenticated = authenticateClient(context, request, request.form);
  if ('failure' in authenticated) return fail(authenticated.flavour, authenticated.failure);
  const { client } = authenticated;
  const outcome = grantTokens(context, client, request.form);
  if ('kind' in outcome) return fail(client.flavour, outcome);
  return success(context, client, outcome);
}
