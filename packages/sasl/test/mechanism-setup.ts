import fc from 'fast-check';
import {
  createClientMechanism,
  createServerMechanism,
  saslprep,
  type SaslClientMechanism,
  type SaslCredentials,
  type SaslServerMechanism,
} from '@sysmail/sasl';

/** Low SCRAM iterations keep property tests fast; the client allows them explicitly. */
export const FAST_ITERATIONS = 16;

export const channelBinding = { type: 'tls-exporter' as const, data: new Uint8Array(32).fill(42) };

export const clientContext = {
  service: 'smtp',
  host: 'mail.example.com',
  port: 587,
  channelBinding,
  allowWeakIterations: true,
  nonceFactory: () => 'client-nonce',
};

/**
 * The server binds the channel only for -PLUS: a server that could bind it would rightly
 * refuse the gs2 flag `y` that plain SCRAM clients send when they have binding data.
 */
export function serverContext(mechanism: string) {
  // Fixed nonces and salt make fast-check's counterexamples replayable.
  const base = { service: 'smtp', host: 'mail.example.com', iterations: FAST_ITERATIONS, salt: new Uint8Array(16).fill(5), nonceFactory: () => 'server-nonce' };
  return mechanism.endsWith('-PLUS') ? { ...base, channelBinding } : base;
}

export const TOKEN_MECHANISMS = ['XOAUTH2', 'OAUTHBEARER'];

/** Well-formed UTF-16, the only strings with a faithful UTF-8 form (the clients refuse the others). */
export const isWellFormed = (s: string): boolean => !/\p{Cs}/u.test(s);

/** Arbitrary Unicode: whole graphemes, or any code points at all. */
export const unicode = (minLength = 0): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ unit: 'grapheme', minLength, maxLength: 12 }), fc.string({ unit: 'binary', minLength, maxLength: 12 })).filter(isWellFormed);

/** RFC 6750 b64token. */
export const b64token = fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,40}={0,2}$/);

/** SASLprep's result, or undefined when SASLprep refuses the string. */
export function prepared(s: string): string | undefined {
  try {
    return saslprep(s);
  } catch {
    return undefined;
  }
}

/**
 * Whether a password mechanism can carry the username and password, i.e. the documented
 * limits of each: PLAIN and LOGIN cannot carry NUL or empty strings; every mechanism needs a
 * username; SCRAM needs both to survive SASLprep and the username to stay non-empty.
 */
export function canCarry(mechanism: string, username: string, password: string): boolean {
  if (username === '') return false;
  if (mechanism === 'PLAIN' || mechanism === 'LOGIN') return password !== '' && !username.includes('\0') && !password.includes('\0');
  if (mechanism.startsWith('SCRAM')) return (prepared(username) ?? '') !== '' && prepared(password) !== undefined;
  return true;
}

/** The username the server half sees: SCRAM clients send it SASLprep'ed. */
export function serverUsername(mechanism: string, username: string): string {
  return mechanism.startsWith('SCRAM') ? (prepared(username) ?? '') : username;
}

/** A client and server pair for one mechanism, with a verifier that knows exactly one account. */
export function makePair(mechanism: string, credentials: SaslCredentials, stored: { password?: string; token?: string }): { client: SaslClientMechanism; server: SaslServerMechanism } {
  const user = serverUsername(mechanism, credentials.username);
  const server = createServerMechanism(
    mechanism,
    {
      lookupPassword: (u) => (u === user ? stored.password : undefined),
      verifyToken: (u, t) => u === user && t === stored.token,
      externalIdentity: 'cn=sysmail',
    },
    serverContext(mechanism),
  );
  return { client: createClientMechanism(mechanism, credentials, clientContext), server };
}
