/**
 * Why a SASL exchange was refused on the client side, or why a mechanism could
 * not be created.
 *
 * - `malformed-challenge`: the server's bytes do not follow the mechanism's syntax
 *   (including invalid UTF-8 or JSON where the mechanism requires it).
 * - `unexpected-challenge`: a challenge arrived when the mechanism had nothing more to say.
 * - `invalid-state`: the caller drove the mechanism out of order (e.g. `initialResponse()` after `respond()`).
 * - `unsupported-mechanism`: the name is not one this package implements.
 * - `invalid-credentials`: the credentials cannot be carried by the mechanism (wrong kind,
 *   empty, a forbidden character such as NUL, an ill-formed UTF-16 string, a token that is not a b64token).
 * - `invalid-context`: the context cannot be used (empty host or service, a nonce with forbidden characters).
 * - `unsupported-qop`: a DIGEST-MD5 server offers no `qop=auth`.
 * - `missing-rspauth` / `bad-rspauth`: a DIGEST-MD5 server did not prove, or wrongly proved, that it knows the password.
 * - `nonce-mismatch`: a SCRAM server nonce does not extend the client nonce.
 * - `weak-iterations`: a SCRAM iteration count below 4096 without `allowWeakIterations`.
 * - `bad-server-signature`: the SCRAM server signature (`v=`) is wrong.
 * - `server-error`: the server reported an error inside the mechanism (SCRAM `e=`).
 * - `channel-binding-required`: a -PLUS mechanism without channel binding data.
 * - `saslprep-prohibited`: SASLprep (RFC 4013) refused a username or password.
 * - `premature-success`: the server reported success before the mechanism finished and
 *   verified the server (see {@link verifyServerSuccess}).
 */
export type SaslErrorCode =
  | 'malformed-challenge'
  | 'unexpected-challenge'
  | 'invalid-state'
  | 'unsupported-mechanism'
  | 'invalid-credentials'
  | 'invalid-context'
  | 'unsupported-qop'
  | 'missing-rspauth'
  | 'bad-rspauth'
  | 'nonce-mismatch'
  | 'weak-iterations'
  | 'bad-server-signature'
  | 'server-error'
  | 'channel-binding-required'
  | 'saslprep-prohibited'
  | 'premature-success';

/**
 * The only error this package throws. Its message never contains a credential
 * (password, token, derived hash or response), so it is safe to log.
 */
export class SaslError extends Error {
  /** The machine-readable reason. */
  readonly code: SaslErrorCode;

  /**
   * Creates the error.
   * @param code - the machine-readable reason
   * @param message - a human-readable explanation that must not contain any secret
   */
  constructor(code: SaslErrorCode, message: string) {
    super(message);
    this.name = 'SaslError';
    this.code = code;
  }
}
