/**
 * SASL mechanisms for sysmail's SMTP and POP3 clients, with the server halves the test
 * servers use: PLAIN, LOGIN, CRAM-MD5, DIGEST-MD5, SCRAM-SHA-1 / SCRAM-SHA-256 and their
 * -PLUS variants, XOAUTH2, OAUTHBEARER, EXTERNAL and ANONYMOUS. Pure code: bytes in,
 * bytes out; the protocol clients do the base64 and the I/O.
 *
 * @packageDocumentation
 */
export { createClientMechanism } from './create-client-mechanism.js';
export { createServerMechanism } from './create-server-mechanism.js';
export { digestMd5EncodingMatters } from './digest-md5-hash.js';
export {
  canonicalMechanismName,
  mechanismNeedsChannelBinding,
  mechanismSendsSecretInClear,
  supportedMechanisms,
  type SaslMechanismName,
} from './mechanism-names.js';
export { SaslError, type SaslErrorCode } from './sasl-error.js';
export { saslprep } from './saslprep.js';
export { MIN_SCRAM_ITERATIONS, MAX_SCRAM_ITERATIONS } from './scram.js';
export { type MechanismPolicy, passwordMechanismRanking, selectMechanism, tokenMechanismRanking } from './select-mechanism.js';
export type {
  ChannelBinding,
  PasswordCredentials,
  SaslClientContext,
  SaslClientMechanism,
  SaslCredentials,
  SaslServerContext,
  SaslServerMechanism,
  SaslServerStep,
  SaslServerVerifier,
  TokenCredentials,
  TokenRejection,
} from './types.js';
export { verifyServerSuccess } from './verify-server-success.js';
