import { randomUUID } from 'node:crypto';
import type { OAuthFlavour } from './oauth-types.js';

/** Why a token request failed, independent of how a provider words it. */
export type TokenFailure =
  | { readonly kind: 'missing-parameter'; readonly parameter: string }
  | { readonly kind: 'malformed-request'; readonly detail: string }
  | { readonly kind: 'unsupported-grant-type'; readonly grantType: string }
  | { readonly kind: 'unknown-client'; readonly clientId: string }
  | { readonly kind: 'client-secret-missing' }
  | { readonly kind: 'client-secret-wrong'; readonly clientId: string }
  | { readonly kind: 'code-unknown' }
  | { readonly kind: 'code-redeemed' }
  | { readonly kind: 'code-expired' }
  | { readonly kind: 'code-other-client' }
  | { readonly kind: 'redirect-uri-mismatch'; readonly redirectUri: string }
  | { readonly kind: 'code-verifier-mismatch' }
  | { readonly kind: 'refresh-token-unknown' }
  | { readonly kind: 'refresh-token-revoked' }
  | { readonly kind: 'refresh-token-rotated' }
  | { readonly kind: 'refresh-token-idle'; readonly issuedAt: number; readonly idleSeconds: number }
  | { readonly kind: 'refresh-token-other-client' }
  | { readonly kind: 'scope-not-granted'; readonly scope: string };

/** An OAuth error answer: HTTP status and JSON body. */
export interface TokenErrorAnswer {
  readonly status: 400 | 401;
  readonly body: { readonly error: string; readonly error_description: string } & Record<string, unknown>;
}

type Wording = readonly [error: string, aadsts: number, microsoft: string, google: string];

function wording(failure: TokenFailure): Wording {
  switch (failure.kind) {
    case 'missing-parameter':
      return [
        'invalid_request',
        900144,
        `The request body must contain the following parameter: '${failure.parameter}'.`,
        failure.parameter === 'code_verifier' ? 'Missing code verifier.' : `Missing required parameter: ${failure.parameter}`,
      ];
    case 'malformed-request':
      return ['invalid_request', 9002313, `Invalid request. Request is malformed or invalid. ${failure.detail}`, failure.detail];
    case 'unsupported-grant-type':
      return [
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${failure.grantType}'.`,
        `Invalid grant_type: ${failure.grantType}`,
      ];
    case 'unknown-client':
      return [
        'invalid_client',
        700016,
        `Application with identifier '${failure.clientId}' was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
        'The OAuth client was not found.',
      ];
    case 'client-secret-missing':
      return [
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        'client_secret is missing.',
      ];
    case 'client-secret-wrong':
      return [
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${failure.clientId}'.`,
        'Unauthorized',
      ];
    case 'code-unknown':
      return ['invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.', 'Malformed auth code.'];
    case 'code-redeemed':
      return [
        'invalid_grant',
        54005,
        'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
        'Bad Request',
      ];
    case 'code-expired':
      return [
        'invalid_grant',
        70008,
        'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
        'Bad Request',
      ];
    case 'code-other-client':
      return ['invalid_grant', 70000, 'The provided authorization code was issued to a different client.', 'Bad Request'];
    case 'redirect-uri-mismatch':
      return [
        'invalid_grant',
        50011,
        `The redirect URI '${failure.redirectUri}' specified in the request does not match the redirect URI used to obtain the authorization code.`,
        'Bad Request',
      ];
    case 'code-verifier-mismatch':
      return [
        'invalid_grant',
        501481,
        'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
        'Invalid code verifier.',
      ];
    case 'refresh-token-unknown':
      return ['invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.', 'Bad Request'];
    case 'refresh-token-revoked':
      return [
        'invalid_grant',
        50173,
        'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.',
        'Token has been expired or revoked.',
      ];
    case 'refresh-token-rotated':
      return [
        'invalid_grant',
        70000,
        'The provided value for the refresh_token is not valid: it was replaced by the refresh token returned with a later refresh.',
        'Token has been expired or revoked.',
      ];
    case 'refresh-token-idle':
      return [
        'invalid_grant',
        700082,
        `The refresh token has expired due to inactivity. The token was issued on ${new Date(failure.issuedAt).toISOString()} and was inactive for ${formatDuration(failure.idleSeconds)}.`,
        'Token has been expired or revoked.',
      ];
    case 'refresh-token-other-client':
      return ['invalid_grant', 70000, 'The provided refresh token was issued to a different client.', 'Bad Request'];
    case 'scope-not-granted':
      return [
        'invalid_scope',
        70011,
        `The provided value for the input parameter 'scope' is not valid. The scope '${failure.scope}' was not granted.`,
        'Bad Request',
      ];
  }
}

function formatDuration(seconds: number): string {
  const whole = Math.floor(seconds);
  const days = Math.floor(whole / 86_400);
  const rest = whole % 86_400;
  const hh = String(Math.floor(rest / 3600)).padStart(2, '0');
  const mm = String(Math.floor((rest % 3600) / 60)).padStart(2, '0');
  const ss = String(rest % 60).padStart(2, '0');
  return `${days}.${hh}:${mm}:${ss}`;
}

/** Microsoft's `2026-11-29 04:50:51Z` timestamp format. */
function microsoftTimestamp(now: number): string {
  return new Date(now).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/**
 * Words a token endpoint failure the way the provider does: Google's short texts, or Microsoft's
 * `AADSTSnnnn:` descriptions with trace and correlation ids and an `error_codes` array.
 */
export function tokenErrorAnswer(flavour: OAuthFlavour, failure: TokenFailure, now: number): TokenErrorAnswer {
  const [error, aadsts, microsoft, google] = wording(failure);
  const status = error === 'invalid_client' ? 401 : 400;
  if (flavour === 'google') return { status, body: { error, error_description: google } };
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = microsoftTimestamp(now);
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${aadsts}: ${microsoft}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
    },
  };
}

/** Why an authorization request was answered with an error redirect. */
export type AuthorizeFailure =
  | { readonly kind: 'unsupported-response-type'; readonly responseType: string }
  | { readonly kind: 'missing-parameter'; readonly parameter: string }
  | { readonly kind: 'invalid-parameter'; readonly parameter: string; readonly value: string; readonly expected: string }
  | { readonly kind: 'access-denied' };

/** The `error` and `error_description` of an authorization error redirect, in the provider's words. */
export function authorizeErrorParams(flavour: OAuthFlavour, failure: AuthorizeFailure): { error: string; error_description: string } {
  const microsoft = flavour === 'microsoft';
  switch (failure.kind) {
    case 'unsupported-response-type':
      return {
        error: 'unsupported_response_type',
        error_description: microsoft
          ? `AADSTS70005: response_type '${failure.responseType}' is not enabled for the application.`
          : `Unsupported response type: ${failure.responseType}`,
      };
    case 'missing-parameter':
      return {
        error: 'invalid_request',
        error_description: microsoft
          ? `AADSTS900144: The request body must contain the following parameter: '${failure.parameter}'.`
          : `Missing required parameter: ${failure.parameter}`,
      };
    case 'invalid-parameter':
      return {
        error: 'invalid_request',
        error_description: microsoft
          ? `AADSTS9002313: Invalid request. The value '${failure.value}' of parameter '${failure.parameter}' is not valid: ${failure.expected}.`
          : `Invalid parameter value for ${failure.parameter}: ${failure.expected}`,
      };
    case 'access-denied':
      return {
        error: 'access_denied',
        error_description: microsoft
          ? 'AADSTS65004: User declined to consent to access the app.'
          : 'The user denied the request.',
      };
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The error page shown instead of redirecting when the client or its redirect URI cannot be trusted: both
 * providers refuse to redirect then, so the endpoint cannot be used as an open redirector.
 */
export function authorizeErrorPage(flavour: OAuthFlavour, problem: 'invalid_client' | 'redirect_uri_mismatch', detail: string): string {
  const heading =
    flavour === 'microsoft'
      ? problem === 'invalid_client'
        ? 'AADSTS700016: Application not found'
        : 'AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application.'
      : `Error 400: ${problem}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(heading)}</title></head>
<body><h1>${escapeHtml(heading)}</h1><p>${escapeHtml(detail)}</p></body></html>
`;
}
