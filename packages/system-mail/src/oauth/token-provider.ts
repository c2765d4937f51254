import { inspect } from 'node:util';
import type { SettingsStore } from '../settings-store.js';
import { DEFAULT_TOKEN_TIMEOUT_MS } from './authorization-flow.js';
import { currentOAuthAccount, requestedScope, sameAccount, settingsChanged, type CurrentOAuthAccount } from './oauth-account.js';
import { authorizationRequired, providerDetail, providerName, reauthorizationRequired, SystemMailOAuthError } from './oauth-errors.js';
import { requestTokens } from './token-request.js';

/** An access token is refreshed when it expires within this margin. */
export const DEFAULT_REFRESH_MARGIN_MS = 60_000;

/** Options of {@link createOAuthTokenProvider}. */
export interface OAuthTokenProviderOptions {
  /** The clock, in milliseconds since the epoch; default `Date.now`. */
  readonly now?: () => number;
  /** Refresh an access token that expires within this many milliseconds; default 60 s. */
  readonly refreshMarginMs?: number;
  /** Total time for one token endpoint request in milliseconds; default 30 s. */
  readonly timeoutMs?: number;
  /** Aborts token requests made for this provider; the signal's reason is thrown. */
  readonly signal?: AbortSignal;
}

/** An access token ready for XOAUTH2 / OAUTHBEARER. `util.inspect` and `JSON.stringify` show it redacted. */
export interface OAuthAccessToken {
  /** The bearer token. */
  readonly token: string;
  /** The SASL user name: the account the token belongs to. */
  readonly username: string;
  /** When it expires, ms since the epoch. */
  readonly expiresAt: number;
}

/** Hands out access tokens for the account the stored settings send with, refreshing them as needed. */
export interface OAuthTokenProvider {
  /**
   * The stored access token, or a fresh one when it expires within the
   * margin or was invalidated. Concurrent callers share one refresh.
   *
   * @throws SystemMailOAuthError `reauthorization-required` (status now 要認可) when the refresh token was revoked or expired; `authorization-required` before any sign-in.
   * @throws SystemMailDeliveryError (phase `oauth`, transient) when the token endpoint is unreachable; the status is kept.
   */
  getAccessToken(): Promise<OAuthAccessToken>;
  /**
   * Marks an access token as refused (e.g. the SMTP server answered 535), so the next call refreshes.
   *
   * @param refused - the refused token; default the one last handed out.
   */
  invalidate(refused?: Pick<OAuthAccessToken, 'token'>): void;
  /**
   * Refreshes now, whatever the stored token's expiry (joining a refresh already in flight).
   *
   * @param refused - the token a server refused: when the store already holds another live one (a simultaneous
   *   caller refreshed it), that one is returned without a new refresh.
   */
  forceRefresh(refused?: Pick<OAuthAccessToken, 'token'>): Promise<OAuthAccessToken>;
}

class AccessToken implements OAuthAccessToken {
  readonly token: string;
  readonly username: string;
  readonly expiresAt: number;

  constructor(token: string, username: string, expiresAt: number) {
    this.token = token;
    this.username = username;
    this.expiresAt = expiresAt;
  }

  [inspect.custom](): string {
    return `OAuthAccessToken { username: ${JSON.stringify(this.username)}, token: [redacted] }`;
  }

  toJSON(): { username: string; expiresAt: number } {
    return { username: this.username, expiresAt: this.expiresAt };
  }
}

// One refresh in flight per account of a store file, shared by every provider
// of this process: two refreshes with one rotating refresh token would make
// the provider retire the token the second one uses.
const refreshesInFlight = new Map<string, Promise<OAuthAccessToken>>();

function refreshKey(store: SettingsStore, account: CurrentOAuthAccount): string {
  return JSON.stringify([store.path, account.ref.client, account.ref.address.toLowerCase()]);
}

function tokenOf(account: CurrentOAuthAccount): OAuthAccessToken | undefined {
  const { state } = account;
  if (state?.accessToken === undefined || state.expiresAt === undefined) return undefined;
  return new AccessToken(state.accessToken, state.account ?? account.ref.address, state.expiresAt);
}

function requireRefreshToken(account: CurrentOAuthAccount): string {
  const refreshToken = account.state?.status === 'authorized' ? account.state.refreshToken : undefined;
  if (refreshToken === undefined) throw authorizationRequired(account.client.provider);
  return refreshToken;
}

/**
 * Creates the token manager for the account the stored settings send with.
 * Tokens come from, and refreshed tokens (with a rotated refresh token,
 * Microsoft-style) go back to, the store, encrypted at rest. A refresh answered
 * `invalid_grant` (revoked, or Microsoft's AADSTS700082 after 90 days unused)
 * sets the status to 要認可; any other failure leaves it alone.
 *
 * @param store - the settings store.
 * @param options - clock, refresh margin, timeout, abort signal.
 * @returns the provider.
 */
export function createOAuthTokenProvider(store: SettingsStore, options: OAuthTokenProviderOptions = {}): OAuthTokenProvider {
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS;
  // The token last handed out, and the one invalidate() marked as refused by a server.
  let handedOut: string | undefined;
  let refused: string | undefined;
  const handOut = (token: OAuthAccessToken): OAuthAccessToken => {
    handedOut = token.token;
    return token;
  };

  const usable = (account: CurrentOAuthAccount): OAuthAccessToken | undefined => {
    const token = tokenOf(account);
    return account.state?.status === 'authorized' && token !== undefined && token.token !== refused && token.expiresAt - margin > now() ? token : undefined;
  };

  // What a refresh may skip: a stale token only ('if-stale'), or any token but the one refused (or, when none is
  // named, the one the caller saw).
  type RefreshNeed = 'if-stale' | { readonly refused: string | undefined };

  const refresh = async (seen: CurrentOAuthAccount, need: RefreshNeed): Promise<OAuthAccessToken> => {
    // Another process may have refreshed (and rotated the refresh token) since this one read the file.
    await store.reload();
    const account = await currentOAuthAccount(store);
    if (!sameAccount(account.ref, seen.ref)) throw settingsChanged();
    const alreadyFresh = usable(account);
    if (alreadyFresh !== undefined && (need === 'if-stale' || alreadyFresh.token !== (need.refused ?? tokenOf(seen)?.token))) return alreadyFresh;
    const refreshToken = requireRefreshToken(account);
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: account.client.clientId });
    if (account.client.clientSecret !== undefined && account.client.clientSecret !== '') form.set('client_secret', account.client.clientSecret);
    // Microsoft's v2.0 endpoint requires the scopes again; Google keeps the granted ones.
    if (account.client.provider === 'microsoft') form.set('scope', requestedScope(account));
    const answer = await requestTokens(account.resolved.tokenEndpoint, form, { timeoutMs, signal: options.signal });
    // Whatever happened, only the refresh token we used may be replaced: the
    // administrator may have signed in again meanwhile.
    const latest = await currentOAuthAccount(store);
    const stillOurs = sameAccount(latest.ref, account.ref) && latest.state?.refreshToken === refreshToken;
    if (!answer.ok) {
      if (answer.error === 'invalid_grant') {
        if (stillOurs) await store.setOAuthState(account.ref, { status: 'authorization-required' });
        throw reauthorizationRequired(account.client.provider, answer.error, answer.description);
      }
      const name = providerName(account.client.provider);
      const clientRefused = answer.error === 'invalid_client' || answer.error === 'unauthorized_client';
      throw new SystemMailOAuthError(
        clientRefused ? 'client-rejected' : 'token-request-refused',
        clientRefused
          ? {
              ja: `${name} がOAuthクライアントを拒否しました（${answer.error}）。クライアントIDとクライアントシークレットを確認してください。`,
              en: `${name} refused the OAuth client (${providerDetail(answer.error, answer.description)}); check the client id and client secret.`,
            }
          : {
              ja: `${name} がアクセストークンの更新を拒否しました（${answer.error}）。OAuthクライアントの設定を確認してください。`,
              en: `${name} refused to refresh the access token (${providerDetail(answer.error, answer.description)}); check the OAuth client's settings.`,
            },
        answer.error,
      );
    }
    if (!sameAccount(latest.ref, account.ref)) throw settingsChanged();
    const expiresAt = now() + answer.tokens.expiresInSeconds * 1000;
    const username = account.state?.account ?? account.ref.address;
    if (stillOurs) {
      await store.setOAuthState(account.ref, {
        status: 'authorized',
        refreshToken: answer.tokens.refreshToken ?? refreshToken,
        accessToken: answer.tokens.accessToken,
        expiresAt,
        account: username,
      });
    }
    return new AccessToken(answer.tokens.accessToken, username, expiresAt);
  };

  const shared = (account: CurrentOAuthAccount, need: RefreshNeed): Promise<OAuthAccessToken> => {
    const key = refreshKey(store, account);
    const inFlight = refreshesInFlight.get(key);
    if (inFlight !== undefined) return inFlight;
    const started = refresh(account, need).finally(() => refreshesInFlight.delete(key));
    refreshesInFlight.set(key, started);
    return started;
  };

  return {
    async getAccessToken() {
      const account = await currentOAuthAccount(store);
      requireRefreshToken(account);
      return handOut(usable(account) ?? (await shared(account, 'if-stale')));
    },
    invalidate(token) {
      refused = token?.token ?? handedOut;
    },
    async forceRefresh(token) {
      const account = await currentOAuthAccount(store);
      requireRefreshToken(account);
      // A send refused after a simultaneous one already replaced the token needs no refresh of its own.
      const current = token === undefined ? undefined : usable(account);
      if (current !== undefined && current.token !== token?.token) return handOut(current);
      return handOut(await shared(account, { refused: token?.token }));
    },
  };
}
