import { createAnonymousClient } from './anonymous.js';
import { CramMd5Client } from './cram-md5.js';
import { DigestMd5Client } from './digest-md5.js';
import { createExternalClient } from './external.js';
import { LoginClient } from './login.js';
import { canonicalMechanismName } from './mechanism-names.js';
import { createOAuthBearerClient } from './oauthbearer.js';
import { createPlainClient } from './plain.js';
import { SaslError } from './sasl-error.js';
import { ScramClient } from './scram.js';
import { createXOAuth2Client } from './xoauth2.js';
import type { SaslClientContext, SaslClientMechanism, SaslCredentials } from './types.js';

/**
 * Creates the client half of one SASL exchange.
 *
 * @param name - the mechanism name, any case (see {@link supportedMechanisms})
 * @param credentials - password credentials for PLAIN, LOGIN, CRAM-MD5, DIGEST-MD5 and SCRAM;
 *   token credentials for XOAUTH2 and OAUTHBEARER; either for EXTERNAL (sends `authzid`) and ANONYMOUS (sends `username`)
 * @param context - the service and host being authenticated to, and test knobs
 * @returns a fresh mechanism whose `name` is the canonical upper-case name
 * @throws {@link SaslError} `unsupported-mechanism`, `invalid-credentials`, `invalid-context`,
 *   `saslprep-prohibited` or `channel-binding-required` (a -PLUS mechanism without `context.channelBinding`)
 */
export function createClientMechanism(name: string, credentials: SaslCredentials, context: SaslClientContext): SaslClientMechanism {
  const canonical = canonicalMechanismName(name);
  switch (canonical) {
    case 'PLAIN':
      return createPlainClient(credentials);
    case 'LOGIN':
      return new LoginClient(credentials);
    case 'CRAM-MD5':
      return new CramMd5Client(credentials);
    case 'DIGEST-MD5':
      return new DigestMd5Client(credentials, context);
    case 'SCRAM-SHA-1':
    case 'SCRAM-SHA-1-PLUS':
      return new ScramClient(canonical, 'sha1', canonical.endsWith('-PLUS'), credentials, context);
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-256-PLUS':
      return new ScramClient(canonical, 'sha256', canonical.endsWith('-PLUS'), credentials, context);
    case 'XOAUTH2':
      return createXOAuth2Client(credentials);
    case 'OAUTHBEARER':
      return createOAuthBearerClient(credentials, context);
    case 'EXTERNAL':
      return createExternalClient(credentials);
    case 'ANONYMOUS':
      return createAnonymousClient(credentials);
    case undefined:
      throw new SaslError('unsupported-mechanism', 'unsupported SASL mechanism');
  }
}
