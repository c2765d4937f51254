import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SystemMailOAuthError } from './oauth-errors.js';

/** How long the listener waits for the browser by default: as long as a pending authorization lives. */
export const DEFAULT_LOOPBACK_TIMEOUT_MS = 10 * 60_000;

/** Options of {@link startLoopbackRedirectListener}. */
export interface LoopbackRedirectListenerOptions {
  /** The redirect URI's path, as registered with the provider; default `/`. */
  readonly path?: string;
  /** Give up after this many milliseconds without a callback; default 10 minutes. */
  readonly timeoutMs?: number;
  /** Stops waiting and closes the listener; `callbackUrl` rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** A one-shot HTTP listener on 127.0.0.1 that receives the provider's redirect (RFC 8252 §7.3). */
export interface LoopbackRedirectListener {
  /** `http://127.0.0.1:{port}{path}`: the redirect URI to begin the authorization with. */
  readonly redirectUri: string;
  /**
   * Resolves with the full callback URL once the browser arrives (the
   * listener then closes itself); rejects on timeout (`SystemMailOAuthError`
   * reason `timeout`) or abort.
   */
  readonly callbackUrl: Promise<string>;
  /** Closes the listener now; `callbackUrl` rejects if it was still waiting. Idempotent. */
  close(): Promise<void>;
}

const PAGE_STYLE = 'body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;line-height:1.6}';

function page(received: 'code' | 'error'): string {
  const [ja, en] =
    received === 'code'
      ? ['認可の応答を受け取りました。このウィンドウを閉じて、元の画面に戻ってください。', 'The authorization response was received. You can close this window and return to the application.']
      : ['認可されませんでした。このウィンドウを閉じて、元の画面でメッセージを確認してください。', 'Access was not granted. Close this window and see the message in the application.'];
  return `<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>sysmail OAuth</title><style>${PAGE_STYLE}</style></head><body><p>${ja}</p><p lang="en">${en}</p></body></html>`;
}

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  'referrer-policy': 'no-referrer',
};

/**
 * Starts the loopback redirect listener for a command-line authorization: a
 * `node:http` server on 127.0.0.1, port 0 (a random free port), that takes
 * one GET of its path carrying `code`, `state` or `error`, answers a small
 * bilingual page, resolves with the callback URL and closes itself. Other
 * requests (a browser's `/favicon.ico`) get 404 and do not count.
 *
 * @param options - path, timeout, abort signal.
 * @returns the listener, once it listens.
 */
export async function startLoopbackRedirectListener(options: LoopbackRedirectListenerOptions = {}): Promise<LoopbackRedirectListener> {
  const path = options.path ?? '/';
  if (!path.startsWith('/') || /[?#\s]/.test(path)) throw new TypeError('The loopback redirect path must start with "/" and hold no query, fragment or space.');
  options.signal?.throwIfAborted();
  const server = http.createServer();
  server.maxHeadersCount = 64;
  server.requestTimeout = 30_000;
  let settle: { resolve: (url: string) => void; reject: (error: unknown) => void } | undefined;
  const callbackUrl = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A caller that only awaits after the listener failed must not crash the process with an unhandled rejection.
  callbackUrl.catch(() => undefined);
  let received = false;
  let closing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => finish(undefined, options.signal?.reason);

  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };

  function finish(url: string | undefined, error?: unknown): void {
    const pending = settle;
    if (pending === undefined) return;
    settle = undefined;
    if (url !== undefined) pending.resolve(url);
    else pending.reject(error);
    void close();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  server.on('request', (request, response) => {
    const url = new URL(request.url ?? '/', origin);
    const params = url.searchParams;
    const isCallback = request.method === 'GET' && url.pathname === path && (params.has('code') || params.has('state') || params.has('error'));
    if (!isCallback || settle === undefined || received) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      response.end('Not found\n');
      return;
    }
    received = true;
    const callback = url.href;
    // Resolve only once the page is written (or the browser went away): closing first would cut it off mid-answer.
    response.once('close', () => finish(callback));
    response.writeHead(200, HTML_HEADERS);
    response.end(page(params.has('error') ? 'error' : 'code'));
  });

  timer = setTimeout(
    () =>
      finish(
        undefined,
        new SystemMailOAuthError('timeout', {
          ja: 'ブラウザーでのサインインと認可が時間内に完了しませんでした。認可をやり直してください。',
          en: 'The sign-in and consent in the browser were not completed in time; authorize again.',
        }),
      ),
    options.timeoutMs ?? DEFAULT_LOOPBACK_TIMEOUT_MS,
  );
  if (options.signal?.aborted === true) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  return {
    redirectUri: `${origin}${path}`,
    callbackUrl,
    close: () => {
      finish(undefined, new DOMException('The loopback redirect listener was closed.', 'AbortError'));
      return close();
    },
  };
}
