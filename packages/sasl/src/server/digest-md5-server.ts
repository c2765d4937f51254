import { bytesEqual, randomNonce, utf8 } from '../bytes.js';
import { decodeDirectiveText, quoteDigestValue, readDirectives } from '../digest-challenge-parser.js';
import { type DigestMd5Values, digestMd5Proof, digestMd5Secret, toByteString } from '../digest-md5-hash.js';
import type { SaslServerContext, SaslServerStep, SaslServerVerifier } from '../types.js';
import { challenge, failure, ServerMechanismBase } from './server-mechanism-base.js';

/**
 * DIGEST-MD5 server (RFC 2831, `qop=auth`, `charset=utf-8`): sends the digest-challenge,
 * checks the digest-response, sends `rspauth=` as a further challenge, and reports
 * success when the client answers that with an empty message.
 */
export class DigestMd5Server extends ServerMechanismBase {
  private state: 'start' | 'challenged' | 'rspauth-sent' = 'start';
  private nonce = '';
  private identity = '';

  constructor(
    private readonly verifier: SaslServerVerifier,
    private readonly context: SaslServerContext,
  ) {
    super('DIGEST-MD5');
  }

  protected next(response: Uint8Array | null): SaslServerStep {
    switch (this.state) {
      case 'start': {
        if (response !== null && response.length > 0) return failure('DIGEST-MD5 takes no initial response');
        this.nonce = (this.context.nonceFactory ?? randomNonce)();
        const realm = this.context.realm === undefined ? '' : `realm=${quoteDigestValue(toByteString(this.context.realm, true))},`;
        this.state = 'challenged';
        return challenge(
          new Uint8Array(Buffer.from(`${realm}nonce=${quoteDigestValue(this.nonce)},qop="auth",algorithm=md5-sess,charset=utf-8`, 'latin1')),
        );
      }
      case 'challenged':
        return this.checkResponse(response ?? new Uint8Array(0));
      case 'rspauth-sent':
        if (response !== null && response.length > 0) return failure('DIGEST-MD5: the answer to rspauth must be empty');
        return { type: 'success', identity: this.identity };
    }
  }

  private checkResponse(response: Uint8Array): SaslServerStep {
    const directives = readDirectives(response);
    if (directives === undefined) return failure('DIGEST-MD5: the response does not follow RFC 2831');
    const { all, single } = directives;
    const field = (name: string): string | undefined => single.get(name);
    const charset = field('charset');
    const rawUsername = field('username');
    const cnonce = field('cnonce');
    const digestUri = field('digest-uri');
    const proof = field('response');
    if (rawUsername === undefined || cnonce === undefined || digestUri === undefined || proof === undefined) {
      return failure('DIGEST-MD5: the response lacks a required directive');
    }
    if (field('nonce') !== this.nonce || field('nc') !== '00000001' || (field('qop') ?? 'auth') !== 'auth') {
      return failure('DIGEST-MD5: wrong nonce, nonce count or qop');
    }
    if (charset !== undefined && charset.toLowerCase() !== 'utf-8') return failure('DIGEST-MD5: unsupported charset');
    const { service, host } = this.context;
    if (service !== undefined && host !== undefined && digestUri !== toByteString(`${service}/${host}`, true)) {
      return failure('DIGEST-MD5: the digest-uri names another service or host');
    }
    const utf8Charset = charset !== undefined;
    const username = decodeDirectiveText(rawUsername, utf8Charset);
    const realms = all.filter((d) => d.name === 'realm');
    const realm = realms[0] === undefined ? '' : decodeDirectiveText(realms[0].value, utf8Charset);
    if (realms.length > 1 || (this.context.realm !== undefined && realm !== this.context.realm)) {
      return failure('DIGEST-MD5: the response names another realm');
    }
    const rawAuthzid = field('authzid');
    if (rawAuthzid !== undefined && decodeDirectiveText(rawAuthzid, true) !== username) {
      return failure('DIGEST-MD5: not authorized to act as the requested identity');
    }
    const stored = this.verifier.lookupPassword(username);
    const secret = stored === undefined ? undefined : digestMd5Secret(username, realm, stored, utf8Charset);
    if (secret === undefined) return failure('DIGEST-MD5: invalid credentials');
    const values: DigestMd5Values = {
      secret,
      nonce: this.nonce,
      cnonce,
      nc: '00000001',
      qop: 'auth',
      digestUri,
      ...(rawAuthzid === undefined ? {} : { authzid: rawAuthzid }),
    };
    if (!bytesEqual(utf8(proof.toLowerCase()), utf8(digestMd5Proof(values, 'response')))) return failure('DIGEST-MD5: invalid credentials');
    this.identity = username;
    this.state = 'rspauth-sent';
    return challenge(utf8(`rspauth=${digestMd5Proof(values, 'rspauth')}`));
  }
}
