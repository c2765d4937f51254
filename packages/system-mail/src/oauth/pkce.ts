import { createHash, randomBytes } from 'node:crypto';

/** A PKCE pair (RFC 7636): the verifier stays with us, the S256 challenge goes in the authorization URL. */
export interface PkcePair {
  /** 43 base64url characters (32 random bytes), sent only to the token endpoint. */
  readonly verifier: string;
  /** `BASE64URL(SHA256(verifier))`, sent with `code_challenge_method=S256`. */
  readonly challenge: string;
}

/** Creates a fresh PKCE pair with a 256-bit verifier (RFC 7636 §4.1 recommends 32 octets). */
export function createPkcePair(): PkcePair {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: s256Challenge(verifier) };
}

/** The S256 challenge of a verifier (RFC 7636 §4.2). */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** An unguessable `state` value (RFC 6749 §10.12): 128 random bits, URL-safe. */
export function createState(): string {
  return randomBytes(16).toString('base64url');
}
