import { utf8 } from './bytes.js';
import { checkCredentialText, requireToken } from './credentials.js';
import { parseOAuthErrorChallenge } from './oauth-error-challenge.js';
import { SingleMessageClient } from './single-message-client.js';
import type { SaslClientMechanism, SaslCredentials } from './types.js';

/**
 * XOAUTH2 (Google's and Microsoft's format): `user=<username>^Aauth=Bearer <token>^A^A`.
 * A refused token comes back as a JSON error challenge; the client answers it with an
 * empty message (as both providers require), keeps the JSON in `serverError`, and the
 * server then fails the exchange.
 */
export function createXOAuth2Client(credentials: SaslCredentials): SaslClientMechanism {
  const { username, accessToken } = requireToken(credentials, 'XOAUTH2');
  // ^A delimits the fields; a control character in the username would forge or break one.
  checkCredentialText(username, 'username', { nonEmpty: true, forbidden: /[\0-\x1f\x7f]/ });
  return new SingleMessageClient('XOAUTH2', utf8(`user=${username}\x01auth=Bearer ${accessToken}\x01\x01`), (challenge) => ({
    serverError: parseOAuthErrorChallenge(challenge, 'XOAUTH2'),
    reply: new Uint8Array(0),
  }));
}
