import { concatBytes, utf8 } from './bytes.js';
import { checkCredentialText, requirePassword } from './credentials.js';
import { SingleMessageClient } from './single-message-client.js';
import type { SaslClientMechanism, SaslCredentials } from './types.js';

const NUL = /\0/;

/** PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd`, sent in one message. */
export function createPlainClient(credentials: SaslCredentials): SaslClientMechanism {
  const { username, password, authzid = '' } = requirePassword(credentials, 'PLAIN');
  checkCredentialText(username, 'username', { nonEmpty: true, forbidden: NUL });
  checkCredentialText(password, 'password', { nonEmpty: true, forbidden: NUL });
  checkCredentialText(authzid, 'authorization identity', { forbidden: NUL });
  const nul = new Uint8Array([0]);
  return new SingleMessageClient('PLAIN', concatBytes(utf8(authzid), nul, utf8(username), nul, utf8(password)));
}
