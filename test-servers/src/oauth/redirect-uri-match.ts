const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

function parse(uri: string): URL | undefined {
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
}

function isLoopback(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * Tells whether a redirect URI from a request matches a registered one. Matching is exact, except that a
 * loopback URI matches on any port: a native app binds an ephemeral port at run time (RFC 8252 §7.3), and
 * Google and Microsoft both ignore the port of `http://127.0.0.1` / `http://localhost` redirects.
 */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  const want = parse(registered);
  const got = parse(requested);
  if (!want || !got || !isLoopback(want) || !isLoopback(got)) return false;
  return (
    want.hostname === got.hostname &&
    want.pathname === got.pathname &&
    want.search === got.search &&
    want.username === got.username &&
    want.password === got.password &&
    got.hash === ''
  );
}

/** Checks that a URI can be registered as a redirect URI: absolute and without a fragment (RFC 6749 §3.1.2). */
export function assertRegistrableRedirectUri(uri: string): void {
  const url = parse(uri);
  if (!url || url.hash !== '' || uri.includes('#')) {
    throw new TypeError(`Redirect URI ${JSON.stringify(uri)} is not an absolute URI without a fragment.`);
  }
}
