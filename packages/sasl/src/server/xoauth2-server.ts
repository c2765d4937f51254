import { decodeUtf8 } from '../bytes.js';
import type { SaslServerStep, SaslServerVerifier } from '../types.js';
import { checkBearerToken } from './oauth-token-check.js';
import { ClientFirstServer, failure } from './server-mechanism-base.js';

/** The error Gmail sends for a refused XOAUTH2 token. */
export const XOAUTH2_DEFAULT_ERROR = Object.freeze({ status: '401', schemes: 'Bearer', scope: 'https://mail.google.com/' });

/**
 * XOAUTH2 server: a refused token gets a JSON error challenge; the client's (empty)
 * answer to it then gets the failure, as Gmail and Microsoft do.
 */
export class XOAuth2Server extends ClientFirstServer {
  constructor(private readonly verifier: SaslServerVerifier) {
    super('XOAUTH2');
  }

  protected verify(message: Uint8Array): SaslServerStep {
    const match = /^user=([^\x01]+)\x01auth=Bearer ([^\x01]+)\x01\x01$/.exec(decodeUtf8(message));
    if (match === null) return failure('XOAUTH2: the message is not user=...^Aauth=Bearer ...^A^A');
    const [, username = '', token = ''] = match;
    return checkBearerToken(this.verifier, username, token, username, XOAUTH2_DEFAULT_ERROR);
  }

  protected override afterMessage(): SaslServerStep {
    return failure('XOAUTH2: the token was refused');
  }
}
