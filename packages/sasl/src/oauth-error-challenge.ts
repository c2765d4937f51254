import { decodeUtf8 } from './bytes.js';
import { SaslError } from './sasl-error.js';

/**
 * Reads the JSON object an XOAUTH2 or OAUTHBEARER server sends instead of success
 * (RFC 7628 section 3.2.2), so it can be surfaced as `serverError`.
 */
export function parseOAuthErrorChallenge(challenge: Uint8Array, mechanism: string): Readonly<Record<string, unknown>> {
  const text = decodeUtf8(challenge);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SaslError('malformed-challenge', `${mechanism}: the error challenge is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SaslError('malformed-challenge', `${mechanism}: the error challenge is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}
