import { SystemMailConfigError, SystemMailDeliveryError } from '../errors.js';
import type { LocalizedText } from '../localized-text.js';
import type { OAuthProvider } from '../oauth-presets.js';

/** Why an OAuth authorization or token request failed in a way only the administrator can fix. */
export type OAuthFailureReason =
  /** The settings do not send with OAuth, or the OAuth client is not registered. */
  | 'not-configured'
  /** An endpoint is not `https:` (plain `http:` is allowed on loopback addresses only). */
  | 'insecure-endpoint'
  /** Nobody has signed in yet (要認可). */
  | 'authorization-required'
  /** The refresh token was revoked or has expired: the status went back to 要認可. */
  | 'reauthorization-required'
  /** The user cancelled the sign-in or declined consent. */
  | 'access-denied'
  /** The provider redirected back with another error. */
  | 'authorization-failed'
  /** The callback's `state` is missing or belongs to no pending authorization. */
  | 'state-mismatch'
  /** The pending authorization is older than 10 minutes. */
  | 'authorization-expired'
  /** The callback URL is not the redirect URI the authorization was started with. */
  | 'redirect-mismatch'
  /** The token endpoint refused the authorization code (wrong PKCE verifier, reused or expired code). */
  | 'code-rejected'
  /** The token endpoint refused the client (wrong client id or secret, client not allowed). */
  | 'client-rejected'
  /** The token endpoint refused the request for another reason (e.g. a scope). */
  | 'token-request-refused'
  /** The provider granted access without a refresh token, so sending would stop within the hour. */
  | 'no-refresh-token'
  /** The token endpoint's answer is not an OAuth token response. */
  | 'invalid-response'
  /** The settings' address or OAuth client changed while the request was in flight. */
  | 'settings-changed'
  /** Nobody completed the sign-in in the browser before the loopback listener gave up. */
  | 'timeout';

/**
 * An OAuth failure the administrator must act on (sign in again, fix the
 * client registration). It is a {@link SystemMailConfigError}, so code that
 * treats configuration problems alike needs no special case; `reason` tells
 * them apart. Messages never contain a token, code or client secret.
 */
export class SystemMailOAuthError extends SystemMailConfigError {
  /** What went wrong. */
  readonly reason: OAuthFailureReason;
  /** The provider's OAuth error code (`invalid_grant`, `access_denied`, …), when it sent one. */
  readonly oauthError: string | undefined;

  /**
   * Creates the error from its reason and two-language message.
   *
   * @param reason - what went wrong.
   * @param messages - the message in both languages.
   * @param oauthError - the provider's OAuth error code, if any.
   */
  constructor(reason: OAuthFailureReason, messages: LocalizedText, oauthError?: string) {
    super(messages);
    this.reason = reason;
    this.oauthError = oauthError;
  }
}

/** The provider's name as the sign-in button says it. */
export function providerName(provider: OAuthProvider): string {
  return provider === 'google' ? 'Google' : 'Microsoft';
}

/** The provider's error, for the English message: `invalid_grant: AADSTS700082: …`. */
export function providerDetail(error: string, description: string | undefined): string {
  return description === undefined || description === '' ? error : `${error}: ${description}`;
}

/**
 * The refresh token no longer works: the status is back to 要認可 and the
 * administrator must sign in again.
 */
export function reauthorizationRequired(provider: OAuthProvider, error: string, description: string | undefined): SystemMailOAuthError {
  const name = providerName(provider);
  return new SystemMailOAuthError(
    'reauthorization-required',
    {
      ja: `OAuthの認可が取り消されたか、有効期限が切れています（要認可）。システムメールアカウントの詳細画面から ${name} にサインインし直して認可してください。（${error}）`,
      en: `The OAuth authorization was revoked or has expired (authorization required). Sign in with ${name} again from the system mail account's details screen and grant access. (${providerDetail(error, description)})`,
    },
    error,
  );
}

/** No usable authorization is stored yet (要認可). */
export function authorizationRequired(provider: OAuthProvider): SystemMailOAuthError {
  const name = providerName(provider);
  return new SystemMailOAuthError('authorization-required', {
    ja: `OAuthの認可がされていません（要認可）。システムメールアカウントの詳細画面から ${name} にサインインして認可してください。`,
    en: `OAuth is not authorized yet (authorization required). Sign in with ${name} from the system mail account's details screen and grant access.`,
  });
}

/**
 * A token endpoint failure that may go away by itself (network error,
 * timeout, 5xx, 429, `temporarily_unavailable`): retry later; the stored
 * authorization is kept. It is the delivery error of phase `oauth`, which
 * sending reports as is.
 */
export function tokenEndpointUnavailable(detail: string, cause?: unknown): SystemMailDeliveryError {
  return new SystemMailDeliveryError({
    phase: 'oauth',
    transient: true,
    messages: {
      ja: `OAuthのトークンエンドポイントに接続できないか、一時的に利用できません。しばらくしてから再度お試しください。（${detail}）`,
      en: `The OAuth token endpoint could not be reached or is temporarily unavailable; try again later. (${detail})`,
    },
    ...(cause === undefined ? {} : { cause }),
  });
}
