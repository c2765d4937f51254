import type { SettingsStore } from '../settings-store.js';
import { beginAuthorization, completeAuthorization, type CompletedAuthorization } from './authorization-flow.js';
import { startLoopbackRedirectListener } from './loopback-redirect-listener.js';

/** Options of {@link authorizeInteractively}. */
export interface InteractiveAuthorizationOptions {
  /**
   * Shows the administrator the URL to open (prints it, or opens a browser).
   * The flow waits for the browser's redirect after it returns.
   */
  readonly presentUrl: (url: string) => void | Promise<void>;
  /** The loopback redirect path registered with the provider; default `/`. */
  readonly callbackPath?: string;
  /** How long to wait for the browser, in milliseconds; default 10 minutes. */
  readonly timeoutMs?: number;
  /** Total time for the token request in milliseconds; default 30 s. */
  readonly tokenTimeoutMs?: number;
  /** Cancels the whole flow (e.g. on Ctrl-C). */
  readonly signal?: AbortSignal;
  /** The clock, in milliseconds since the epoch; default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Runs the whole command-line authorization (`system-mail authorize`):
 * starts the loopback redirect listener, begins the authorization with its
 * redirect URI, presents the URL, waits for the browser, and completes the
 * authorization. The status is then 認可済み. The listener is closed whatever
 * happens.
 *
 * @param store - the settings store; its settings must use OAuth with this client.
 * @param clientId - the id of the registered OAuth client.
 * @param options - how to present the URL, timeouts, abort signal.
 * @returns the stored account.
 * @throws SystemMailOAuthError when the authorization is refused, times out or fails.
 * @throws SystemMailDeliveryError (phase `oauth`, transient) when the token endpoint is unreachable.
 */
export async function authorizeInteractively(
  store: SettingsStore,
  clientId: string,
  options: InteractiveAuthorizationOptions,
): Promise<CompletedAuthorization> {
  const listener = await startLoopbackRedirectListener({
    ...(options.callbackPath === undefined ? {} : { path: options.callbackPath }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  try {
    const begun = await beginAuthorization(store, clientId, {
      redirectUri: listener.redirectUri,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    await options.presentUrl(begun.url);
    const callbackUrl = await listener.callbackUrl;
    return await completeAuthorization(store, callbackUrl, {
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.tokenTimeoutMs === undefined ? {} : { timeoutMs: options.tokenTimeoutMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } finally {
    await listener.close();
  }
}
