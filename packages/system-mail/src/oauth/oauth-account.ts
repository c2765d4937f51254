import type { OAuthAccountRef, OAuthTokenState } from '../oauth-status.js';
import { resolveOAuthClient, type ResolvedOAuthClient } from '../oauth-presets.js';
import type { SettingsStore } from '../settings-store.js';
import type { OAuthClient } from '../validation-context.js';
import { SystemMailOAuthError } from './oauth-errors.js';

/** The OAuth account the stored settings send with, its registered client and its stored token state. */
export interface CurrentOAuthAccount {
  /** Which account (system address × OAuth client id). */
  readonly ref: OAuthAccountRef;
  /** The registered client, with its secret. */
  readonly client: OAuthClient;
  /** The client's endpoints. */
  readonly resolved: ResolvedOAuthClient;
  /** The stored token state, if any. */
  readonly state: OAuthTokenState | undefined;
}

/**
 * Reads the account the stored settings send with.
 *
 * @param store - the settings store.
 * @returns the account.
 * @throws SystemMailOAuthError (`not-configured`) when the settings do not use OAuth or its client is gone.
 */
export async function currentOAuthAccount(store: SettingsStore): Promise<CurrentOAuthAccount> {
  const snapshot = await store.snapshot();
  const oauth = snapshot.oauth;
  if (oauth === undefined) {
    throw new SystemMailOAuthError('not-configured', {
      ja: 'システムメールアカウントの設定で「メールの送信にOAuthを使用する」が選ばれていません。',
      en: 'The system mail account settings do not use OAuth for sending.',
    });
  }
  if (oauth.client === undefined) {
    throw new SystemMailOAuthError('not-configured', {
      ja: `OAuthクライアント「${oauth.ref.client}」が登録されていません。OAuthクライアントを登録し、設定を保存し直してください。`,
      en: `The OAuth client "${oauth.ref.client}" is not registered; register it and save the settings again.`,
    });
  }
  return { ref: oauth.ref, client: oauth.client, resolved: resolveOAuthClient(oauth.client), state: oauth.state };
}

/** Whether two refs name the same account (addresses compare case-insensitively, as the store does). */
export function sameAccount(a: OAuthAccountRef, b: OAuthAccountRef): boolean {
  return a.client === b.client && a.address.toLowerCase() === b.address.toLowerCase();
}

/** The error for an account that changed under a request: its tokens would belong to no one. */
export function settingsChanged(): SystemMailOAuthError {
  return new SystemMailOAuthError('settings-changed', {
    ja: '認可の途中でシステムメールアドレスまたはOAuthクライアントが変更されました。もう一度認可してください。',
    en: 'The system mail address or OAuth client changed during the request; authorize again.',
  });
}

/**
 * The scopes to request: the provider's sending scopes plus OpenID Connect's,
 * so that the ID token names the account the tokens belong to (the XOAUTH2
 * user name), which may differ from the system address.
 *
 * Microsoft puts `preferred_username` in the ID token only with `profile`.
 *
 * @param account - the account's client and endpoints.
 * @returns the space-separated scopes.
 */
export function requestedScope(account: Pick<CurrentOAuthAccount, 'client' | 'resolved'>): string {
  const identity = account.client.provider === 'microsoft' ? 'openid email profile' : 'openid email';
  return `${account.resolved.scope} ${identity}`;
}
