import { bytesEqual, randomNonce, utf8 } from './bytes.js';
import { checkCredentialText, requirePassword } from './credentials.js';
import { decodeDirectiveText, quoteDigestValue, readDirectives } from './digest-challenge-parser.js';
import { type DigestMd5Values, digestMd5Proof, digestMd5Secret, toByteString } from './digest-md5-hash.js';
import { checkNonce } from './nonce.js';
import { SaslError } from './sasl-error.js';
import type { PasswordCredentials, SaslClientContext, SaslClientMechanism, SaslCredentials } from './types.js';

/** RFC 2831 section 2.1.1: a digest-challenge is shorter than 2048 bytes. */
const MAX_CHALLENGE_BYTES = 2048;

/**
 * DIGEST-MD5 (RFC 2831) with `qop=auth`: answers the digest-challenge, then verifies the
 * server's `rspauth` and answers it with an empty message. `complete` turns true only
 * once `rspauth` proved that the server knows the password.
 */
export class DigestMd5Client implements SaslClientMechanism {
  readonly name = 'DIGEST-MD5';
  private state: 'start' | 'responded' | 'complete' = 'start';
  private expectedRspauth = '';
  private readonly credentials: PasswordCredentials;

  constructor(
    credentials: SaslCredentials,
    private readonly context: SaslClientContext,
  ) {
    this.credentials = requirePassword(credentials, 'DIGEST-MD5');
    checkCredentialText(this.credentials.username, 'username', { nonEmpty: true });
    checkCredentialText(this.credentials.password, 'password');
    checkCredentialText(this.credentials.authzid ?? '', 'authorization identity');
    if (context.service === '' || context.host === '') {
      throw new SaslError('invalid-context', 'DIGEST-MD5 needs a service and a host for its digest-uri');
    }
  }

  get complete(): boolean {
    return this.state === 'complete';
  }

  initialResponse(): null {
    return null;
  }

  respond(challenge: Uint8Array): Uint8Array {
    if (this.state === 'start') return this.answerChallenge(challenge);
    if (this.state === 'responded') return this.verifyRspauth(challenge);
    throw new SaslError('unexpected-challenge', 'DIGEST-MD5: unexpected challenge after rspauth');
  }

  private answerChallenge(challenge: Uint8Array): Uint8Array {
    const directives = challenge.length < MAX_CHALLENGE_BYTES ? readDirectives(challenge) : undefined;
    if (directives === undefined) throw new SaslError('malformed-challenge', 'DIGEST-MD5: the challenge does not follow RFC 2831');
    const { all, single } = directives;
    const nonce = single.get('nonce');
    const charset = single.get('charset');
    if (nonce === undefined || single.get('algorithm')?.toLowerCase() !== 'md5-sess') {
      throw new SaslError('malformed-challenge', 'DIGEST-MD5: the challenge lacks a nonce or algorithm=md5-sess');
    }
    if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
      throw new SaslError('malformed-challenge', 'DIGEST-MD5: the only charset allowed is utf-8');
    }
    const qops = (single.get('qop') ?? 'auth').split(',').map((qop) => qop.trim().toLowerCase());
    if (!qops.includes('auth')) throw new SaslError('unsupported-qop', 'DIGEST-MD5: the server does not offer qop=auth');

    const utf8Charset = charset !== undefined;
    const offeredRealm = all.find((d) => d.name === 'realm');
    const realm = offeredRealm === undefined ? this.context.host : decodeDirectiveText(offeredRealm.value, utf8Charset);
    const { username, password, authzid } = this.credentials;
    const secret = digestMd5Secret(username, realm, password, utf8Charset, this.context.digestMd5PasswordEncoding);
    if (secret === undefined) {
      throw new SaslError('invalid-credentials', 'DIGEST-MD5: the credentials need charset=utf-8, which the server did not offer');
    }
    const cnonce = checkNonce((this.context.nonceFactory ?? randomNonce)(), 'DIGEST-MD5 cnonce');
    const values: DigestMd5Values = {
      secret,
      nonce,
      cnonce,
      nc: '00000001',
      qop: 'auth',
      digestUri: toByteString(`${this.context.service}/${this.context.host}`, true),
      ...(authzid === undefined || authzid === '' ? {} : { authzid: toByteString(authzid, true) }),
    };
    this.expectedRspauth = digestMd5Proof(values, 'rspauth');
    const q = quoteDigestValue;
    const message =
      `${utf8Charset ? 'charset=utf-8,' : ''}username=${q(toByteString(username, utf8Charset))},` +
      `realm=${q(toByteString(realm, utf8Charset))},nonce=${q(nonce)},nc=${values.nc},cnonce=${q(cnonce)},` +
      `digest-uri=${q(values.digestUri)},response=${digestMd5Proof(values, 'response')},qop=auth` +
      (values.authzid === undefined ? '' : `,authzid=${q(values.authzid)}`);
    this.state = 'responded';
    return new Uint8Array(Buffer.from(message, 'latin1'));
  }

  private verifyRspauth(challenge: Uint8Array): Uint8Array {
    const directives = readDirectives(challenge);
    if (directives === undefined) throw new SaslError('malformed-challenge', 'DIGEST-MD5: the second challenge does not follow RFC 2831');
    const rspauth = directives.single.get('rspauth');
    if (rspauth === undefined) throw new SaslError('missing-rspauth', 'DIGEST-MD5: the server did not send rspauth');
    if (!bytesEqual(utf8(rspauth.toLowerCase()), utf8(this.expectedRspauth))) {
      throw new SaslError('bad-rspauth', 'DIGEST-MD5: the server rspauth is wrong; the server does not know the password');
    }
    this.state = 'complete';
    return new Uint8Array(0);
  }
}
