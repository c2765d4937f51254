import { bytesEqual, decodeUtf8, utf8 } from '../bytes.js';
import type { SaslServerStep, SaslServerVerifier } from '../types.js';
import { ClientFirstServer, failure } from './server-mechanism-base.js';

/**
 * PLAIN server: splits `authzid NUL authcid NUL passwd` and compares the password with
 * the stored one exactly (no SASLprep: the test servers store what clients send).
 * An authzid other than the authcid is refused, there being no authorization policy.
 */
export class PlainServer extends ClientFirstServer {
  constructor(private readonly verifier: SaslServerVerifier) {
    super('PLAIN');
  }

  protected verify(message: Uint8Array): SaslServerStep {
    const parts = decodeUtf8(message).split('\0');
    if (parts.length !== 3) return failure('PLAIN: the message is not authzid NUL authcid NUL passwd');
    const [authzid = '', username = '', password = ''] = parts;
    const stored = this.verifier.lookupPassword(username);
    if (stored === undefined || !bytesEqual(utf8(password), utf8(stored))) return failure('PLAIN: invalid credentials');
    if (authzid !== '' && authzid !== username) return failure('PLAIN: not authorized to act as the requested identity');
    return { type: 'success', identity: username };
  }
}
