import { createHash, timingSafeEqual } from 'node:crypto';

/** RFC 7636 §4.1 / §4.2: 43 to 128 characters of the unreserved set; an S256 challenge is 43 base64url characters. */
const VERIFIER_SYNTAX = /^[A-Za-z0-9\-._~]{43,128}$/;
const S256_CHALLENGE_SYNTAX = /^[A-Za-z0-9\-_]{43}$/;

/** Tells whether a `code_challenge` has the shape of an S256 challenge. */
export function isS256Challenge(challenge: string): boolean {
  return S256_CHALLENGE_SYNTAX.test(challenge);
}

/** Tells whether a `code_verifier` has the syntax RFC 7636 requires. */
export function isCodeVerifier(verifier: string): boolean {
  return VERIFIER_SYNTAX.test(verifier);
}

/** Checks a `code_verifier` against the S256 `code_challenge` of the authorization request, in constant time. */
export function verifierMatchesS256Challenge(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'), 'ascii');
  const expected = Buffer.from(challenge, 'ascii');
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
