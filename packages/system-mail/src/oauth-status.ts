import type { SystemMailSettings } from './settings-types.js';
import type { ValidationContext } from './validation-context.js';

/** OAuth認可 as the details screen shows it. */
export type OAuthAuthorizationStatus = 'not-applicable' | 'authorization-required' | 'authorized';

/** The OAuth token state of one account (system address × OAuth client). Tokens are encrypted at rest. */
export interface OAuthTokenState {
  /** 要認可 until the administrator has signed in and granted access, then 認可済み. */
  readonly status: 'authorization-required' | 'authorized';
  /** The long-lived refresh token. */
  readonly refreshToken?: string;
  /** The current access token. */
  readonly accessToken?: string;
  /** When the access token expires, in milliseconds since the epoch. */
  readonly expiresAt?: number;
  /** The account the provider reported at sign-in (e.g. its mail address). */
  readonly account?: string;
}

/** Which account an OAuth token state belongs to. */
export interface OAuthAccountRef {
  /** Id of the OAuth client in the registry. */
  readonly client: string;
  /** The system mail address the tokens were granted for. */
  readonly address: string;
}

/**
 * The account whose OAuth tokens the settings send with: the dedicated
 * server's OAuth client, or the OAuth client of the chosen mail-feature server.
 *
 * @param settings - the settings.
 * @param context - the registries, to look up a mail-feature server's client.
 * @returns the account, or undefined when the settings do not use OAuth.
 */
export function oauthAccountOf(settings: SystemMailSettings, context: ValidationContext): OAuthAccountRef | undefined {
  const server = settings.server;
  if (server.type === 'dedicated') {
    return server.oauth.enabled ? { client: server.oauth.client, address: settings.address } : undefined;
  }
  const client = context.mailServers.find((s) => s.id === server.serverId)?.oauthClient;
  return client === undefined ? undefined : { client, address: settings.address };
}

/**
 * The OAuth token state to keep when settings are saved. Tokens were granted
 * for one address through one client, so changing either (or starting to use
 * OAuth) discards them and makes the status 要認可 again; otherwise the state
 * carries over untouched.
 *
 * @param previous - the settings stored so far, if any.
 * @param next - the settings being saved.
 * @param context - the registries.
 * @param currentState - the token state stored for the previous settings' account.
 * @returns the state to store for the new settings, or undefined when they do not use OAuth.
 */
export function oauthStateAfterSave(
  previous: SystemMailSettings | undefined,
  next: SystemMailSettings,
  context: ValidationContext,
  currentState: OAuthTokenState | undefined,
): OAuthTokenState | undefined {
  const nextAccount = oauthAccountOf(next, context);
  if (nextAccount === undefined) return undefined;
  const previousAccount = previous === undefined ? undefined : oauthAccountOf(previous, context);
  const unchanged =
    previousAccount !== undefined &&
    previousAccount.client === nextAccount.client &&
    previousAccount.address.toLowerCase() === nextAccount.address.toLowerCase();
  return unchanged && currentState !== undefined ? currentState : { status: 'authorization-required' };
}

/**
 * OAuth認可 for the details screen.
 *
 * @param settings - the settings.
 * @param context - the registries.
 * @param state - the token state stored for the settings' account.
 * @returns `not-applicable` without OAuth, else the stored status (要認可 when none).
 */
export function oauthStatusOf(
  settings: SystemMailSettings,
  context: ValidationContext,
  state: OAuthTokenState | undefined,
): OAuthAuthorizationStatus {
  if (oauthAccountOf(settings, context) === undefined) return 'not-applicable';
  return state?.status ?? 'authorization-required';
}
