import { utf8 } from './bytes.js';
import { checkCredentialText, requirePassword } from './credentials.js';
import { SaslError } from './sasl-error.js';
import type { SaslClientMechanism, SaslCredentials } from './types.js';

const NUL = /\0/;

/**
 * LOGIN (draft-murchison-sasl-login): the server prompts twice, with any text; the
 * client answers the username, then the password. No initial response.
 */
export class LoginClient implements SaslClientMechanism {
  readonly name = 'LOGIN';
  private readonly answers: Uint8Array[];

  constructor(credentials: SaslCredentials) {
    const { username, password } = requirePassword(credentials, 'LOGIN');
    checkCredentialText(username, 'username', { nonEmpty: true, forbidden: NUL });
    checkCredentialText(password, 'password', { nonEmpty: true, forbidden: NUL });
    this.answers = [utf8(username), utf8(password)];
  }

  get complete(): boolean {
    return this.answers.length === 0;
  }

  initialResponse(): null {
    return null;
  }

  respond(_prompt: Uint8Array): Uint8Array {
    const answer = this.answers.shift();
    if (answer === undefined) throw new SaslError('unexpected-challenge', 'LOGIN: unexpected third prompt');
    return answer;
  }
}
