import { createHmac } from 'node:crypto';
import { utf8 } from './bytes.js';
import { checkCredentialText, requirePassword } from './credentials.js';
import { SaslError } from './sasl-error.js';
import type { SaslClientMechanism, SaslCredentials } from './types.js';

/** The CRAM-MD5 digest: lower-case hex of HMAC-MD5 keyed with the password over the challenge. */
export function cramMd5Digest(password: string, challenge: Uint8Array): string {
  return createHmac('md5', utf8(password)).update(challenge).digest('hex');
}

/** CRAM-MD5 (RFC 2195): answers the server's timestamp challenge with `username SP hex-digest`. */
export class CramMd5Client implements SaslClientMechanism {
  readonly name = 'CRAM-MD5';
  complete = false;
  private readonly username: string;
  private readonly password: string;

  constructor(credentials: SaslCredentials) {
    const { username, password } = requirePassword(credentials, 'CRAM-MD5');
    checkCredentialText(username, 'username', { nonEmpty: true });
    checkCredentialText(password, 'password');
    this.username = username;
    this.password = password;
  }

  initialResponse(): null {
    return null;
  }

  respond(challenge: Uint8Array): Uint8Array {
    if (this.complete) throw new SaslError('unexpected-challenge', 'CRAM-MD5: unexpected second challenge');
    if (challenge.length === 0) throw new SaslError('malformed-challenge', 'CRAM-MD5: empty challenge');
    this.complete = true;
    return utf8(`${this.username} ${cramMd5Digest(this.password, challenge)}`);
  }
}
