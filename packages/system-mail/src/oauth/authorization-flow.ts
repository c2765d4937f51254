import type { OAuthAccountRef } from '../oauth-status.js';
import type { SettingsStore } from '../settings-store.js';
import { secureEndpoint } from './endpoint-url.js';
import { accountFromIdToken } from './id-token-claims.js';
import { currentOAuthAccount, requestedScope, sameAccount, settingsChanged, type CurrentOAuthAccount } from './oauth-account.js';
import { providerDetail, providerName, SystemMailOAuthError } from './oauth-errors.js';
import { PENDING_AUTHORIZATION_LIFETIME_MS, rememberPending, takePending } from './pending-authorizations.js';
import { createPkcePair, createState } from './pkce.js';
import { requestTokens } from './token-request.js';

/** Default total time for one token endpoint request. */
export const DEFAULT_TOKEN_TIMEOUT_MS = 30_000;

/**
 * The redirect URI used when none is given: the loopback address without a
 * port. Nothing listens there, so the browser shows an error page whose
 * address bar holds the callback URL, which the administrator can paste into
 * {@link completeAuthorization} (for a browser on another machine than the
 * server).
 */
export const DEFAULT_REDIRECT_URI = 'http://127.0.0.1/';

/** Options of {@link beginAuthorization}. */
export interface BeginAuthorizationOptions {
  /** Where the provider sends the browser back; default {@link DEFAULT_REDIRECT_URI}. Must be registered with the provider. */
  readonly redirectUri?: string;
  /** The clock, in milliseconds since the epoch; default `Date.now`. */
  readonly now?: () => number;
}

/** A begun authorization: open `url` in the administrator's browser. */
export interface BegunAuthorization {
  /** The provider's authorization URL to open. */
  readonly url: string;
  /** The `state` in the URL, which the callback must carry back. */
  readonly state: string;
  /** The redirect URI in the URL. */
  readonly redirectUri: string;
  /** When the authorization can no longer be completed (10 minutes after it began), ms since the epoch. */
  readonly expiresAt: number;
}

/** Options of {@link completeAuthorization}. */
export interface CompleteAuthorizationOptions {
  /** The clock, in milliseconds since the epoch; default `Date.now`. */
  readonly now?: () => number;
  /** Total time for the token request in milliseconds; default 30 s. */
  readonly timeoutMs?: number;
  /** Aborts the token request. */
  readonly signal?: AbortSignal;
}

/** The outcome of a completed authorization: the status is now 認可済み. */
export interface CompletedAuthorization {
  /** The account the tokens are stored for. */
  readonly ref: OAuthAccountRef;
  /** The account the tokens belong to (the XOAUTH2 user name): the ID token's, else the system address. */
  readonly account: string;
  /** When the access token expires, ms since the epoch. */
  readonly expiresAt: number;
}

function callbackParams(callbackUrl: string): URL {
  try {
    return new URL(callbackUrl);
  } catch {
    throw stateMismatch();
  }
}

function stateMismatch(): SystemMailOAuthError {
  return new SystemMailOAuthError('state-mismatch', {
    ja: '認可の応答が、開始した認可要求と一致しません（state が不明です）。応答は破棄しました。認可を最初からやり直してください。',
    en: 'The authorization response does not belong to an authorization begun here (unknown state); it was discarded. Start the authorization again.',
  });
}

function sameEndpoint(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && a.host === b.host && a.pathname === b.pathname;
}

/**
 * Begins the authorization-code flow with PKCE S256 and `state` (RFC 6749
 * §4.1, RFC 7636) for the account the stored settings send with. Google gets
 * `access_type=offline` and `prompt=consent` so that it issues a refresh
 * token each time; Microsoft gets `offline_access` (in its preset's scopes).
 *
 * The state and the PKCE verifier stay in this process's memory (never on
 * disk) for 10 minutes: {@link completeAuthorization} must run in the same
 * process, as the CLI's `system-mail authorize` and a long-running admin
 * server do.
 *
 * @param store - the settings store; its settings must use OAuth with this client.
 * @param clientId - the id of the registered OAuth client.
 * @param options - redirect URI and clock.
 * @returns the URL to open, its state and redirect URI.
 * @throws SystemMailOAuthError (`not-configured`, `insecure-endpoint`).
 */
export async function beginAuthorization(store: SettingsStore, clientId: string, options: BeginAuthorizationOptions = {}): Promise<BegunAuthorization> {
  const account = await currentOAuthAccount(store);
  if (account.ref.client !== clientId) {
    throw new SystemMailOAuthError('not-configured', {
      ja: `システムメールアカウントの設定はOAuthクライアント「${clientId}」を使用していません。設定を保存してから認可してください。`,
      en: `The system mail account settings do not use the OAuth client "${clientId}"; save the settings first, then authorize.`,
    });
  }
  const url = secureEndpoint(account.resolved.authorizeEndpoint, 'authorization');
  const redirectUri = options.redirectUri ?? DEFAULT_REDIRECT_URI;
  const now = (options.now ?? Date.now)();
  const pkce = createPkcePair();
  const state = createState();
  const params: Record<string, string> = {
    client_id: account.client.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: requestedScope(account),
    state,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    login_hint: account.ref.address,
    ...(account.client.provider === 'google' ? { access_type: 'offline', prompt: 'consent' } : { response_mode: 'query' }),
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  rememberPending(store.path, { state, codeVerifier: pkce.verifier, redirectUri, ref: account.ref, createdAt: now }, now);
  return { url: url.href, state, redirectUri, expiresAt: now + PENDING_AUTHORIZATION_LIFETIME_MS };
}

function authorizationError(account: CurrentOAuthAccount, error: string, description: string | undefined): SystemMailOAuthError {
  const name = providerName(account.client.provider);
  if (error === 'access_denied') {
    return new SystemMailOAuthError(
      'access-denied',
      {
        ja: `${name} へのアクセスが許可されませんでした（サインインが取り消されたか、同意が拒否されました）。もう一度サインインし、メール送信へのアクセスを許可してください。`,
        en: `Access was not granted: the sign-in with ${name} was cancelled or consent was declined. Sign in again and allow access to send mail.`,
      },
      error,
    );
  }
  return new SystemMailOAuthError(
    'authorization-failed',
    {
      ja: `${name} が認可を拒否しました（${error}）。OAuthクライアントの設定を確認し、認可をやり直してください。`,
      en: `${name} refused the authorization (${providerDetail(error, description)}); check the OAuth client's settings and authorize again.`,
    },
    error,
  );
}

function printableParam(value: string | null, max: number): string | undefined {
  return value === null ? undefined : value.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, max);
}

/**
 * Completes an authorization from the URL the provider redirected the
 * browser to: checks `state` (unknown, reused or expired → refused, nothing
 * stored), reports `error=access_denied` and other errors, then exchanges the
 * code at the token endpoint (form-encoded, client secret when configured,
 * PKCE verifier, same redirect URI) and stores the tokens — encrypted at rest
 * by the store — with their expiry and account. The status becomes 認可済み.
 *
 * @param store - the store the authorization was begun with.
 * @param callbackUrl - the full callback URL, query included.
 * @param options - clock, timeout, abort signal.
 * @returns the stored account.
 * @throws SystemMailOAuthError for a refused or failed authorization.
 * @throws SystemMailDeliveryError (phase `oauth`, transient) when the token endpoint is unreachable.
 */
export async function completeAuthorization(
  store: SettingsStore,
  callbackUrl: string,
  options: CompleteAuthorizationOptions = {},
): Promise<CompletedAuthorization> {
  const clock = options.now ?? Date.now;
  const callback = callbackParams(callbackUrl);
  const state = callback.searchParams.get('state');
  const pending = state === null ? undefined : takePending(store.path, state, clock());
  if (pending === undefined) throw stateMismatch();
  if (pending === 'expired') {
    throw new SystemMailOAuthError('authorization-expired', {
      ja: '認可の開始から10分以上経過したため、この応答は受け付けられません。認可を最初からやり直してください。',
      en: 'The authorization was begun more than 10 minutes ago and can no longer be completed; start it again.',
    });
  }
  if (!sameEndpoint(callback, new URL(pending.redirectUri))) {
    throw new SystemMailOAuthError('redirect-mismatch', {
      ja: '認可の応答が、認可を開始したときのリダイレクトURIに届いていません。認可をやり直してください。',
      en: 'The authorization response did not arrive at the redirect URI the authorization was begun with; authorize again.',
    });
  }
  const account = await currentOAuthAccount(store);
  if (!sameAccount(account.ref, pending.ref)) throw settingsChanged();
  const error = callback.searchParams.get('error');
  if (error !== null) {
    throw authorizationError(account, printableParam(error, 64) ?? error, printableParam(callback.searchParams.get('error_description'), 300));
  }
  const code = callback.searchParams.get('code');
  if (code === null || code === '') {
    throw new SystemMailOAuthError('authorization-failed', {
      ja: '認可の応答に認可コードがありません。認可をやり直してください。',
      en: 'The authorization response carries no authorization code; authorize again.',
    });
  }
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: pending.redirectUri,
    code_verifier: pending.codeVerifier,
    client_id: account.client.clientId,
  });
  if (account.client.clientSecret !== undefined && account.client.clientSecret !== '') form.set('client_secret', account.client.clientSecret);
  const answer = await requestTokens(account.resolved.tokenEndpoint, form, {
    timeoutMs: options.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS,
    signal: options.signal,
  });
  const name = providerName(account.client.provider);
  if (!answer.ok) {
    const detail = providerDetail(answer.error, answer.description);
    if (answer.error === 'invalid_client' || answer.error === 'unauthorized_client') {
      throw new SystemMailOAuthError(
        'client-rejected',
        {
          ja: `${name} がOAuthクライアントを拒否しました（${answer.error}）。クライアントIDとクライアントシークレットを確認してください。`,
          en: `${name} refused the OAuth client (${detail}); check the client id and client secret.`,
        },
        answer.error,
      );
    }
    throw new SystemMailOAuthError(
      'code-rejected',
      {
        ja: `${name} が認可コードを受け付けませんでした（${answer.error}）。認可を最初からやり直してください。`,
        en: `${name} refused the authorization code (${detail}); start the authorization again.`,
      },
      answer.error,
    );
  }
  const tokens = answer.tokens;
  if (tokens.refreshToken === undefined) {
    throw new SystemMailOAuthError('no-refresh-token', {
      ja: `${name} がリフレッシュトークンを発行しませんでした。${name} のアカウント設定でこのアプリへのアクセス権を削除してから、認可をやり直してください。`,
      en: `${name} issued no refresh token; remove this app's access in the ${name} account settings, then authorize again.`,
    });
  }
  const accountName =
    (tokens.idToken === undefined ? undefined : accountFromIdToken(tokens.idToken, account.client.provider, account.client.clientId)) ?? pending.ref.address;
  const expiresAt = clock() + tokens.expiresInSeconds * 1000;
  // Settings may have changed while the code was being exchanged: tokens for an account no longer in use would only leak.
  const latest = await currentOAuthAccount(store);
  if (!sameAccount(latest.ref, pending.ref)) throw settingsChanged();
  await store.setOAuthState(pending.ref, {
    status: 'authorized',
    refreshToken: tokens.refreshToken,
    accessToken: tokens.accessToken,
    expiresAt,
    account: accountName,
  });
  return { ref: pending.ref, account: accountName, expiresAt };
}
