import { utf8 } from '../bytes.js';
import type { SaslServerStep, SaslServerVerifier } from '../types.js';
import { challenge } from './server-mechanism-base.js';

/**
 * Asks the verifier about a bearer token: success, or the JSON error challenge (the
 * verifier's object, else `defaultError`) after which the client must answer once more.
 */
export function checkBearerToken(verifier: SaslServerVerifier, username: string, token: string, identity: string, defaultError: object): SaslServerStep {
  const verdict = verifier.verifyToken?.(username, token) ?? false;
  if (verdict === true) return { type: 'success', identity };
  const error = verdict === false ? defaultError : verdict.error;
  return challenge(utf8(JSON.stringify(error)));
}
