import { SystemMailOAuthError } from './oauth-errors.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Parses an authorization or token endpoint and refuses anything but `https:`,
 * except plain `http:` on a loopback address (local test servers): codes,
 * tokens and the client secret must never cross a network in clear.
 *
 * @param endpoint - the endpoint URL.
 * @param which - which endpoint, for the message.
 * @returns the parsed URL.
 */
export function secureEndpoint(endpoint: string, which: 'authorization' | 'token'): URL {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  const label = which === 'authorization' ? { ja: '認可エンドポイント', en: 'authorization endpoint' } : { ja: 'トークンエンドポイント', en: 'token endpoint' };
  if (url === undefined || !(url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)))) {
    throw new SystemMailOAuthError('insecure-endpoint', {
      ja: `OAuthクライアントの${label.ja}が https の URL ではありません。OAuthクライアントの設定を確認してください。`,
      en: `The OAuth client's ${label.en} is not an https URL; check the OAuth client's settings.`,
    });
  }
  return url;
}
