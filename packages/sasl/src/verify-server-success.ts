import { SaslError } from './sasl-error.js';
import type { SaslClientMechanism } from './types.js';

/**
 * Call when the server reports success (SMTP `235`, POP3 `+OK`): throws unless the
 * mechanism finished. A server that says success before DIGEST-MD5 checked `rspauth`, or
 * before SCRAM checked `v=`, has not proved it knows the password, so the success must be
 * treated as an error (it is what an impostor would answer); likewise a success after an
 * XOAUTH2 / OAUTHBEARER error challenge.
 *
 * @param mechanism - the client mechanism the exchange ran with
 * @throws {@link SaslError} `premature-success` when `mechanism.complete` is false
 */
export function verifyServerSuccess(mechanism: SaslClientMechanism): void {
  if (!mechanism.complete) {
    throw new SaslError('premature-success', `${mechanism.name}: the server reported success before the mechanism finished`);
  }
}
