import { utf8 } from './bytes.js';
import { checkCredentialText, requireToken } from './credentials.js';
import { encodeSaslname } from './gs2-header.js';
import { parseOAuthErrorChallenge } from './oauth-error-challenge.js';
import { SaslError } from './sasl-error.js';
import { SingleMessageClient } from './single-message-client.js';
import type { SaslClientContext, SaslClientMechanism, SaslCredentials } from './types.js';

/**
 * OAUTHBEARER (RFC 7628): `n,a=<user>,^Ahost=<host>^Aport=<port>^Aauth=Bearer <token>^A^A`.
 * An error challenge (JSON) is answered with the single byte `^A` (section 3.2.3) and
 * kept in `serverError`; the server then fails the exchange.
 */
export function createOAuthBearerClient(credentials: SaslCredentials, context: SaslClientContext): SaslClientMechanism {
  const { username, accessToken } = requireToken(credentials, 'OAUTHBEARER');
  checkCredentialText(username, 'username', { nonEmpty: true, forbidden: /[\0-\x1f\x7f]/ });
  if (/[\0-\x1f\x7f]/.test(context.host)) throw new SaslError('invalid-context', 'OAUTHBEARER: the host contains a control character');
  if (context.port !== undefined && !(Number.isInteger(context.port) && context.port > 0 && context.port < 65536)) {
    throw new SaslError('invalid-context', 'OAUTHBEARER: the port is not a TCP port number');
  }
  const port = context.port === undefined ? '' : `port=${context.port}\x01`;
  const message = `n,a=${encodeSaslname(username)},\x01host=${context.host}\x01${port}auth=Bearer ${accessToken}\x01\x01`;
  return new SingleMessageClient('OAUTHBEARER', utf8(message), (challenge) => ({
    serverError: parseOAuthErrorChallenge(challenge, 'OAUTHBEARER'),
    reply: new Uint8Array([1]),
  }));
}
