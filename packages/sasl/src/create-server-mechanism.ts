import { canonicalMechanismName } from './mechanism-names.js';
import { SaslError } from './sasl-error.js';
import { AnonymousServer } from './server/anonymous-server.js';
import { CramMd5Server } from './server/cram-md5-server.js';
import { DigestMd5Server } from './server/digest-md5-server.js';
import { ExternalServer } from './server/external-server.js';
import { LoginServer } from './server/login-server.js';
import { OAuthBearerServer } from './server/oauthbearer-server.js';
import { PlainServer } from './server/plain-server.js';
import { ScramServer } from './server/scram-server.js';
import { XOAuth2Server } from './server/xoauth2-server.js';
import type { SaslServerContext, SaslServerMechanism, SaslServerVerifier } from './types.js';

/**
 * Creates the server half of one SASL exchange, for test servers and conformance tests.
 *
 * Drive it like this: call `step(initialResponse)`, or `step(null)` when the client sent
 * none; send every `challenge` to the client (SMTP `334`, POP3 `+`) and pass its decoded
 * answer to the next `step`; stop at `success` or `failure`. Two rounds deserve notice:
 * DIGEST-MD5 sends `rspauth=` as a challenge and succeeds on the client's empty answer;
 * XOAUTH2 and OAUTHBEARER send a refused token's JSON error as a challenge and fail on the
 * client's answer. A `success` with `finalData` (SCRAM's `v=`) must, in SMTP and POP3,
 * be sent as one more challenge whose empty answer is awaited before the success reply.
 *
 * @param name - the mechanism name, any case
 * @param verifier - the account data
 * @param context - nonces, realm, SCRAM salt and iterations, channel binding
 * @throws {@link SaslError} `unsupported-mechanism`
 */
export function createServerMechanism(name: string, verifier: SaslServerVerifier, context: SaslServerContext = {}): SaslServerMechanism {
  const canonical = canonicalMechanismName(name);
  switch (canonical) {
    case 'PLAIN':
      return new PlainServer(verifier);
    case 'LOGIN':
      return new LoginServer(verifier);
    case 'CRAM-MD5':
      return new CramMd5Server(verifier, context);
    case 'DIGEST-MD5':
      return new DigestMd5Server(verifier, context);
    case 'SCRAM-SHA-1':
    case 'SCRAM-SHA-1-PLUS':
      return new ScramServer(canonical, 'sha1', canonical.endsWith('-PLUS'), verifier, context);
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-256-PLUS':
      return new ScramServer(canonical, 'sha256', canonical.endsWith('-PLUS'), verifier, context);
    case 'XOAUTH2':
      return new XOAuth2Server(verifier);
    case 'OAUTHBEARER':
      return new OAuthBearerServer(verifier);
    case 'EXTERNAL':
      return new ExternalServer(verifier);
    case 'ANONYMOUS':
      return new AnonymousServer();
    case undefined:
      throw new SaslError('unsupported-mechanism', 'unsupported SASL mechanism');
  }
}
