import { bytesEqual, decodeUtf8, utf8 } from '../bytes.js';
import type { SaslServerStep, SaslServerVerifier } from '../types.js';
import { challenge, failure, ServerMechanismBase } from './server-mechanism-base.js';

/**
 * LOGIN server: prompts `Username:` then `Password:`. An initial response is taken as
 * the username, as the common `AUTH LOGIN <base64 username>` form sends it.
 */
export class LoginServer extends ServerMechanismBase {
  private username: string | undefined;

  constructor(private readonly verifier: SaslServerVerifier) {
    super('LOGIN');
  }

  protected next(response: Uint8Array | null): SaslServerStep {
    if (response === null) return this.username === undefined ? challenge(utf8('Username:')) : failure('LOGIN: no password');
    if (this.username === undefined) {
      this.username = decodeUtf8(response);
      return challenge(utf8('Password:'));
    }
    const stored = this.verifier.lookupPassword(this.username);
    if (stored === undefined || !bytesEqual(response, utf8(stored))) return failure('LOGIN: invalid credentials');
    return { type: 'success', identity: this.username };
  }
}
