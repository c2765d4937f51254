import { bytesEqual, decodeUtf8, randomNonce, utf8 } from '../bytes.js';
import { cramMd5Digest } from '../cram-md5.js';
import type { SaslServerContext, SaslServerStep, SaslServerVerifier } from '../types.js';
import { challenge, failure, ServerMechanismBase } from './server-mechanism-base.js';

/** CRAM-MD5 server: sends `<nonce@host>`, then checks `username SP hex-digest`. */
export class CramMd5Server extends ServerMechanismBase {
  private challengeBytes: Uint8Array | undefined;

  constructor(
    private readonly verifier: SaslServerVerifier,
    private readonly context: SaslServerContext,
  ) {
    super('CRAM-MD5');
  }

  protected next(response: Uint8Array | null): SaslServerStep {
    if (this.challengeBytes === undefined) {
      if (response !== null && response.length > 0) return failure('CRAM-MD5 takes no initial response');
      const nonce = (this.context.nonceFactory ?? randomNonce)();
      this.challengeBytes = utf8(`<${nonce}@${this.context.host ?? 'localhost'}>`);
      return challenge(this.challengeBytes);
    }
    const match = /^(.+) ([0-9a-f]{32})$/s.exec(decodeUtf8(response ?? new Uint8Array(0)));
    if (match === null) return failure('CRAM-MD5: the response is not "username digest"');
    const [, username = '', digest = ''] = match;
    const stored = this.verifier.lookupPassword(username);
    if (stored === undefined || !bytesEqual(utf8(digest), utf8(cramMd5Digest(stored, this.challengeBytes)))) {
      return failure('CRAM-MD5: invalid credentials');
    }
    return { type: 'success', identity: username };
  }
}
