import { randomUUID } from 'node:crypto';
import { singleParam, type EndpointContext, type HttpAnswer } from './endpoint-context.js';
import type { ConsentDecision, OAuthClientRegistration, OAuthFlavour } from './oauth-types.js';
import { authorizeErrorPage, authorizeErrorParams, type AuthorizeFailure } from './provider-errors.js';
import { isS256Challenge } from './pkce.js';
import { redirectUriMatches } from './redirect-uri-match.js';

const PROMPTS: Record<OAuthFlavour, ReadonlySet<string>> = {
  google: new Set(['none', 'consent', 'select_account']),
  microsoft: new Set(['login', 'none', 'consent', 'select_account']),
};

function errorPage(flavour: OAuthFlavour, problem: 'invalid_client' | 'redirect_uri_mismatch', detail: string): HttpAnswer {
  return {
    status: 400,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body: authorizeErrorPage(flavour, problem, detail),
    error: problem,
  };
}

function redirect(redirectUri: string, params: Record<string, string | undefined>, error?: string): HttpAnswer {
  const target = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) target.searchParams.set(name, value);
  return {
    status: 302,
    headers: { location: target.href, 'cache-control': 'no-store' },
    body: '',
    ...(error ? { error } : {}),
  };
}

/** The first problem of a request whose client and redirect URI are trusted, or undefined when it is valid. */
function validate(client: OAuthClientRegistration, params: URLSearchParams): AuthorizeFailure | undefined {
  for (const name of ['response_type', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'prompt', 'access_type', 'login_hint', 'nonce', 'consent']) {
    if (singleParam(params, name) === null) return { kind: 'invalid-parameter', parameter: name, value: '(repeated)', expected: 'given at most once' };
  }
  const responseType = params.get('response_type');
  if (!responseType) return { kind: 'missing-parameter', parameter: 'response_type' };
  if (responseType !== 'code') return { kind: 'unsupported-response-type', responseType };
  if (!params.get('scope')?.trim()) return { kind: 'missing-parameter', parameter: 'scope' };
  const challenge = params.get('code_challenge');
  if (!challenge) return { kind: 'missing-parameter', parameter: 'code_challenge' };
  // An absent method means `plain` (RFC 7636 §4.3), which is refused like an explicit `plain`.
  const method = params.get('code_challenge_method') ?? 'plain';
  if (method !== 'S256') return { kind: 'invalid-parameter', parameter: 'code_challenge_method', value: method, expected: 'only S256 is accepted' };
  if (!isS256Challenge(challenge)) {
    return { kind: 'invalid-parameter', parameter: 'code_challenge', value: challenge, expected: 'an S256 challenge is 43 base64url characters' };
  }
  const prompt = params.get('prompt');
  if (prompt !== null) {
    const values = client.flavour === 'google' ? prompt.split(' ') : [prompt];
    const bad = values.find((v) => !PROMPTS[client.flavour].has(v));
    if (bad !== undefined) return { kind: 'invalid-parameter', parameter: 'prompt', value: prompt, expected: [...PROMPTS[client.flavour]].join(', ') };
  }
  const accessType = params.get('access_type');
  if (client.flavour === 'google' && accessType !== null && accessType !== 'online' && accessType !== 'offline') {
    return { kind: 'invalid-parameter', parameter: 'access_type', value: accessType, expected: 'online or offline' };
  }
  const consent = params.get('consent');
  if (consent !== null && consent !== 'grant' && consent !== 'deny') {
    return { kind: 'invalid-parameter', parameter: 'consent', value: consent, expected: 'grant or deny' };
  }
  return undefined;
}

/**
 * The authorization endpoint: checks the client and its redirect URI (an error page, never a redirect,
 * when either is wrong), then the request, then simulates the user's consent and redirects back with a
 * code or an `access_denied` error.
 *
 * @param pathFlavour - the flavour implied by the path, used to word errors before the client is known
 */
export function handleAuthorize(context: EndpointContext, params: URLSearchParams, pathFlavour: OAuthFlavour | undefined): HttpAnswer {
  const clientId = singleParam(params, 'client_id');
  const client = clientId ? context.clients.get(clientId) : undefined;
  if (!client) {
    return errorPage(
      pathFlavour ?? 'google',
      'invalid_client',
      clientId ? `The OAuth client ${JSON.stringify(clientId)} was not found.` : 'The request has no single client_id parameter.',
    );
  }
  const flavour = client.flavour;
  const redirectUri = singleParam(params, 'redirect_uri');
  if (!redirectUri || !client.redirectUris.some((registered) => redirectUriMatches(registered, redirectUri))) {
    return errorPage(
      flavour,
      'redirect_uri_mismatch',
      `The redirect URI ${JSON.stringify(redirectUri ?? '')} is not registered for the client ${JSON.stringify(client.clientId)}.`,
    );
  }
  const state = params.get('state') ?? undefined;
  const failure = validate(client, params);
  if (failure) {
    const error = authorizeErrorParams(flavour, failure);
    return redirect(redirectUri, { ...error, state }, error.error);
  }
  const scopes = (params.get('scope') ?? '').split(' ').filter((s) => s !== '');
  const loginHint = params.get('login_hint') ?? undefined;
  const prompt = params.get('prompt') ?? undefined;
  const decision: ConsentDecision =
    (params.get('consent') as ConsentDecision | null) ??
    (typeof context.consent === 'function'
      ? context.consent({ clientId: client.clientId, flavour, scopes, account: context.account, loginHint, prompt })
      : context.consent);
  if (decision === 'deny') {
    const error = authorizeErrorParams(flavour, { kind: 'access-denied' });
    return redirect(redirectUri, { ...error, state, ...(flavour === 'microsoft' ? { error_subcode: 'cancel' } : {}) }, error.error);
  }
  const offline = flavour === 'google' ? params.get('access_type') === 'offline' : scopes.includes('offline_access');
  const scope = scopes.join(' ');
  const code = context.store.issueCode(
    { clientId: client.clientId, flavour, account: context.account, scope, offline, nonce: params.get('nonce') ?? undefined, revoked: false },
    redirectUri,
    params.get('code_challenge') ?? '',
  );
  context.codeIssued();
  return flavour === 'microsoft'
    ? redirect(redirectUri, { code, state, session_state: randomUUID() })
    : redirect(redirectUri, { state, code, scope });
}
