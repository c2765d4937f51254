import { isTokenCredentials } from './credentials.js';
import { digestMd5EncodingMatters } from './digest-md5-hash.js';
import { mechanismNeedsChannelBinding, mechanismSendsSecretInClear, type SaslMechanismName } from './mechanism-names.js';
import type { SaslCredentials } from './types.js';

/** Password mechanisms, strongest first: channel-bound SCRAM, SCRAM, the MD5 challenge-response pair, then clear text. */
export const passwordMechanismRanking: readonly SaslMechanismName[] = Object.freeze([
  'SCRAM-SHA-256-PLUS',
  'SCRAM-SHA-1-PLUS',
  'SCRAM-SHA-256',
  'SCRAM-SHA-1',
  'DIGEST-MD5',
  'CRAM-MD5',
  'PLAIN',
  'LOGIN',
] as const);

/**
 * Token mechanisms in order of preference: XOAUTH2 first, because it is the format that
 * Gmail and Microsoft 365 both document, while their OAUTHBEARER support is partial.
 */
export const tokenMechanismRanking: readonly SaslMechanismName[] = Object.freeze(['XOAUTH2', 'OAUTHBEARER'] as const);

/** When a mechanism may be chosen. */
export interface MechanismPolicy {
  /** Whether the connection is protected by TLS. */
  readonly secure: boolean;
  /** Allow mechanisms that send a replayable secret ({@link mechanismSendsSecretInClear}) over an insecure link. */
  readonly allowPlaintextOnInsecure?: boolean;
  /** Whether TLS channel binding data is available, which the -PLUS mechanisms need. */
  readonly channelBinding?: boolean;
}

/**
 * Picks the strongest mechanism the server offers that the credentials can serve
 * ({@link passwordMechanismRanking} or {@link tokenMechanismRanking}), with one exception:
 * when the username or password is non-ASCII but fits in ISO-8859-1
 * ({@link digestMd5EncodingMatters}) and CRAM-MD5 is offered, CRAM-MD5 goes before
 * DIGEST-MD5, because servers disagree on how DIGEST-MD5 hashes such text (RFC 2831 and
 * Cyrus SASL: ISO-8859-1; Dovecot: UTF-8) while CRAM-MD5 hashes UTF-8 everywhere; a wrong
 * guess costs a failed login, which servers slow down and count. Never picks one
 * that was not offered, a clear-text one on an insecure link without
 * `allowPlaintextOnInsecure`, or a -PLUS one without `channelBinding`.
 *
 * @param offered - the server's mechanisms (e.g. from `AUTH=` or `SASL`), any case
 * @param credentials - password or token credentials
 * @param policy - what the connection allows
 * @returns the canonical name, or undefined when nothing fits
 */
export function selectMechanism(offered: readonly string[], credentials: SaslCredentials, policy: MechanismPolicy): SaslMechanismName | undefined {
  const available = new Set(offered.map((name) => name.toUpperCase()));
  let ranking = isTokenCredentials(credentials) ? tokenMechanismRanking : passwordMechanismRanking;
  if (!isTokenCredentials(credentials) && available.has('CRAM-MD5') && digestMd5EncodingMatters(credentials)) {
    ranking = ranking.filter((name) => name !== 'DIGEST-MD5');
  }
  return ranking.find(
    (name) =>
      available.has(name) &&
      (policy.secure || policy.allowPlaintextOnInsecure === true || !mechanismSendsSecretInClear(name)) &&
      (policy.channelBinding === true || !mechanismNeedsChannelBinding(name)),
  );
}
