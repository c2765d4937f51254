import { utf8 } from './bytes.js';
import { checkCredentialText, isPasswordCredentials } from './credentials.js';
import { SingleMessageClient } from './single-message-client.js';
import type { SaslClientMechanism, SaslCredentials } from './types.js';

/**
 * EXTERNAL (RFC 4422 appendix A): the identity comes from outside SASL (a TLS client
 * certificate); the client sends only the authorization identity it asks for, the
 * `authzid` of password credentials, or nothing.
 */
export function createExternalClient(credentials: SaslCredentials): SaslClientMechanism {
  const authzid = isPasswordCredentials(credentials) ? (credentials.authzid ?? '') : '';
  checkCredentialText(authzid, 'authorization identity', { forbidden: /\0/ });
  return new SingleMessageClient('EXTERNAL', utf8(authzid));
}
