import { decodeUtf8 } from '../bytes.js';
import { parseGs2Header } from '../gs2-header.js';
import type { SaslServerStep, SaslServerVerifier } from '../types.js';
import { checkBearerToken } from './oauth-token-check.js';
import { ClientFirstServer, failure } from './server-mechanism-base.js';

/** RFC 7628 section 3.2.2's minimal error. */
export const OAUTHBEARER_DEFAULT_ERROR = Object.freeze({ status: 'invalid_token' });

/**
 * OAUTHBEARER server (RFC 7628): reads the GS2 header and key-value pairs; a refused
 * token gets a JSON error challenge, and the client's `^A` answer then gets the failure.
 */
export class OAuthBearerServer extends ClientFirstServer {
  constructor(private readonly verifier: SaslServerVerifier) {
    super('OAUTHBEARER');
  }

  protected verify(message: Uint8Array): SaslServerStep {
    const gs2 = parseGs2Header(decodeUtf8(message));
    const pairs = gs2 === undefined || gs2.flag === 'p' ? null : /^\x01((?:[A-Za-z]+=[^\x01]*\x01)*)\x01$/.exec(gs2.rest);
    if (gs2 === undefined || pairs === null) return failure('OAUTHBEARER: the message does not follow RFC 7628');
    const auth = (pairs[1] ?? '').split('\x01').find((pair) => pair.startsWith('auth='));
    const token = /^auth=Bearer ([^\x01]+)$/i.exec(auth ?? '')?.[1];
    if (token === undefined) return failure('OAUTHBEARER: no bearer token');
    const username = gs2.authzid ?? '';
    return checkBearerToken(this.verifier, username, token, username, OAUTHBEARER_DEFAULT_ERROR);
  }

  protected override afterMessage(): SaslServerStep {
    return failure('OAUTHBEARER: the token was refused');
  }
}
