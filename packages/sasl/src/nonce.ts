import { SaslError } from './sasl-error.js';

/**
 * Checks a nonce from a `nonceFactory`: printable ASCII without `,` (the SCRAM attribute
 * separator) or `"` and `\` (which DIGEST-MD5 would have to escape), and non-empty.
 */
export function checkNonce(nonce: string, what: string): string {
  if (!/^[\x21-\x7e]+$/.test(nonce) || /[,"\\]/.test(nonce)) {
    throw new SaslError('invalid-context', `the ${what} must be printable ASCII without , " or \\`);
  }
  return nonce;
}
