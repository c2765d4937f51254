import type { OAuthAccountRef } from '../oauth-status.js';

/** How long a begun authorization may be completed. */
export const PENDING_AUTHORIZATION_LIFETIME_MS = 10 * 60_000;

// Each begun authorization holds a verifier in memory; an administrator
// clicking "sign in" repeatedly must not grow this without bound.
const MAX_PENDING_PER_STORE = 16;

/** An authorization begun and not yet completed. Held in this process's memory only: the verifier never touches the disk. */
export interface PendingAuthorization {
  /** The `state` sent in the authorization URL. */
  readonly state: string;
  /** The PKCE verifier whose challenge was sent. */
  readonly codeVerifier: string;
  /** The redirect URI sent, to be sent again to the token endpoint. */
  readonly redirectUri: string;
  /** The account (system address × OAuth client) the tokens are for. */
  readonly ref: OAuthAccountRef;
  /** When it began, by the injected clock. */
  readonly createdAt: number;
}

// Keyed by the store file's path, so that any store object opened on the same
// file in this process can complete what another one began.
const pendingByStore = new Map<string, Map<string, PendingAuthorization>>();

function isExpired(pending: PendingAuthorization, now: number): boolean {
  return now - pending.createdAt >= PENDING_AUTHORIZATION_LIFETIME_MS || now < pending.createdAt;
}

/**
 * Remembers a begun authorization, dropping expired ones and, past the limit, the oldest.
 *
 * @param storePath - the store file the authorization is for.
 * @param pending - the authorization.
 * @param now - the current time.
 */
export function rememberPending(storePath: string, pending: PendingAuthorization, now: number): void {
  const byState = pendingByStore.get(storePath) ?? new Map<string, PendingAuthorization>();
  for (const [state, entry] of byState) if (isExpired(entry, now)) byState.delete(state);
  while (byState.size >= MAX_PENDING_PER_STORE) {
    const oldest = byState.keys().next();
    if (oldest.done === true) break;
    byState.delete(oldest.value);
  }
  byState.set(pending.state, pending);
  pendingByStore.set(storePath, byState);
}

/**
 * Takes (and forgets: a state is good for one callback) the authorization begun with a `state`.
 *
 * @param storePath - the store file the authorization is for.
 * @param state - the callback's `state`.
 * @param now - the current time.
 * @returns the authorization, `expired` when it is older than 10 minutes, or undefined when unknown.
 */
export function takePending(storePath: string, state: string, now: number): PendingAuthorization | 'expired' | undefined {
  const byState = pendingByStore.get(storePath);
  const pending = byState?.get(state);
  if (byState === undefined || pending === undefined) return undefined;
  byState.delete(state);
  if (byState.size === 0) pendingByStore.delete(storePath);
  return isExpired(pending, now) ? 'expired' : pending;
}
