import { createHash, createHmac } from 'node:crypto';
import type { Grant } from './token-store.js';

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** A stable, opaque subject identifier for an account, as both providers give (never the address itself). */
function subjectOf(account: string): string {
  return createHash('sha256').update(account.toLowerCase(), 'utf8').digest('base64url').slice(0, 24);
}

/**
 * An OpenID Connect ID token for a grant that asked for `openid`. It is signed with HS256 and a key only
 * the fake server knows: clients may decode its claims, but nothing real would accept it.
 */
export function createIdToken(grant: Grant, signingKey: Buffer, now: number, lifetimeSeconds: number): string {
  const iat = Math.floor(now / 1000);
  const common = { aud: grant.clientId, sub: subjectOf(grant.account), iat, exp: iat + lifetimeSeconds, ...(grant.nonce ? { nonce: grant.nonce } : {}) };
  const claims =
    grant.flavour === 'google'
      ? { iss: 'https://accounts.google.com', ...common, email: grant.account, email_verified: true }
      : {
          iss: 'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0',
          ...common,
          nbf: iat,
          tid: '9188040d-6c67-4c5b-b112-36a304b66dad',
          preferred_username: grant.account,
          email: grant.account,
        };
  const signingInput = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(claims)}`;
  const signature = createHmac('sha256', signingKey).update(signingInput, 'ascii').digest('base64url');
  return `${signingInput}.${signature}`;
}
