import type { OAuthProvider } from '../oauth-presets.js';

const MAX_ACCOUNT_LENGTH = 320;

function claim(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  // The account ends up in the XOAUTH2 `user=` field: no control characters, bounded.
  return typeof value === 'string' && value !== '' && value.length <= MAX_ACCOUNT_LENGTH && !/[\u0000-\u001f\u007f]/.test(value) ? value : undefined;
}

/**
 * The account an ID token names: `email` for Google, `preferred_username`
 * (the sign-in name SMTP expects) then `email` for Microsoft.
 *
 * The signature is not checked: the token came straight from the token
 * endpoint over TLS, which OpenID Connect Core §3.1.3.7 accepts in place of
 * it. A token for another audience, or one that does not decode, names no one.
 *
 * @param idToken - the compact JWT from the token response.
 * @param provider - which provider issued it.
 * @param clientId - the client id it must be issued to.
 * @returns the account, or undefined.
 */
export function accountFromIdToken(idToken: string, provider: OAuthProvider, clientId: string): string | undefined {
  const payload = idToken.split('.')[1];
  if (payload === undefined) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
  const record = claims as Record<string, unknown>;
  const aud = record['aud'];
  if (aud !== clientId && !(Array.isArray(aud) && aud.includes(clientId))) return undefined;
  return provider === 'google' ? claim(record, 'email') : (claim(record, 'preferred_username') ?? claim(record, 'email'));
}
