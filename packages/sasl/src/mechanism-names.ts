/** The canonical names of every mechanism this package implements. */
export type SaslMechanismName =
  | 'PLAIN'
  | 'LOGIN'
  | 'CRAM-MD5'
  | 'DIGEST-MD5'
  | 'SCRAM-SHA-1'
  | 'SCRAM-SHA-256'
  | 'SCRAM-SHA-1-PLUS'
  | 'SCRAM-SHA-256-PLUS'
  | 'XOAUTH2'
  | 'OAUTHBEARER'
  | 'EXTERNAL'
  | 'ANONYMOUS';

/** Every mechanism this package implements, client and server half, by canonical name. */
export const supportedMechanisms: readonly SaslMechanismName[] = Object.freeze([
  'PLAIN',
  'LOGIN',
  'CRAM-MD5',
  'DIGEST-MD5',
  'SCRAM-SHA-1',
  'SCRAM-SHA-256',
  'SCRAM-SHA-1-PLUS',
  'SCRAM-SHA-256-PLUS',
  'XOAUTH2',
  'OAUTHBEARER',
  'EXTERNAL',
  'ANONYMOUS',
] as const);

/**
 * The canonical (upper-case) name of a supported mechanism, matched case-insensitively.
 * @param name - a mechanism name as offered by a server or chosen by a user
 * @returns the canonical name, or undefined when the mechanism is not supported
 */
export function canonicalMechanismName(name: string): SaslMechanismName | undefined {
  const upper = name.toUpperCase();
  return supportedMechanisms.find((m) => m === upper);
}

const SECRET_IN_CLEAR: ReadonlySet<string> = new Set(['PLAIN', 'LOGIN', 'XOAUTH2', 'OAUTHBEARER']);

/**
 * Whether the mechanism hands a replayable secret to anyone who can read the link:
 * PLAIN and LOGIN send the password, XOAUTH2 and OAUTHBEARER a bearer token. Use them only over TLS.
 * @param name - a mechanism name, any case
 */
export function mechanismSendsSecretInClear(name: string): boolean {
  return SECRET_IN_CLEAR.has(name.toUpperCase());
}

/**
 * Whether the mechanism needs TLS channel binding data (the -PLUS variants).
 * @param name - a mechanism name, any case
 */
export function mechanismNeedsChannelBinding(name: string): boolean {
  const canonical = canonicalMechanismName(name);
  return canonical !== undefined && canonical.endsWith('-PLUS');
}
