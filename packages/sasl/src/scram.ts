import { bytesEqual, concatBytes, decodeUtf8, fromBase64, randomNonce, toBase64, utf8 } from './bytes.js';
import { checkCredentialText, requirePassword } from './credentials.js';
import { encodeSaslname } from './gs2-header.js';
import { checkNonce } from './nonce.js';
import { SaslError } from './sasl-error.js';
import { isScramNonce, parseIterationCount, parseScramAttributes } from './scram-attributes.js';
import { type ScramHash, scramHmac, scramKeys, xorBytes } from './scram-crypto.js';
import { saslprep } from './saslprep.js';
import type { SaslClientContext, SaslClientMechanism, SaslCredentials } from './types.js';

/** RFC 7677 section 4: fewer iterations than this are too weak to accept by default. */
export const MIN_SCRAM_ITERATIONS = 4096;

/** Above this, a hostile server could keep the (synchronous) client busy for many seconds. */
export const MAX_SCRAM_ITERATIONS = 1_000_000;

/**
 * SCRAM-SHA-1, SCRAM-SHA-256 (RFC 5802, RFC 7677) and their -PLUS variants with
 * `tls-exporter` channel binding (RFC 9266). Username and password go through SASLprep.
 * The server's final `v=` is verified in `respond()`, which then answers with an empty
 * message and sets `complete`.
 */
export class ScramClient implements SaslClientMechanism {
  private state: 'start' | 'sent-first' | 'sent-final' | 'complete' = 'start';
  private readonly gs2Header: string;
  private readonly channelBindingInput: Uint8Array;
  private readonly clientNonce: string;
  private readonly clientFirstBare: string;
  private readonly password: string;
  private expectedServerSignature: Uint8Array = new Uint8Array(0);

  constructor(
    readonly name: string,
    private readonly hash: ScramHash,
    plus: boolean,
    credentials: SaslCredentials,
    private readonly context: SaslClientContext,
  ) {
    const { username, password, authzid } = requirePassword(credentials, name);
    checkCredentialText(username, 'username', { nonEmpty: true });
    checkCredentialText(password, 'password');
    checkCredentialText(authzid ?? '', 'authorization identity');
    const preparedUsername = saslprep(username);
    if (preparedUsername === '') throw new SaslError('invalid-credentials', 'the username is empty after SASLprep');
    this.password = saslprep(password);
    const authzidPart = authzid === undefined || authzid === '' ? '' : `a=${encodeSaslname(authzid)}`;
    const binding = context.channelBinding;
    if (plus && binding === undefined) {
      throw new SaslError('channel-binding-required', `${name} needs the TLS channel binding (tls-exporter)`);
    }
    // Flag y tells a server that offers -PLUS that we could have bound the channel, so it detects a downgrade.
    const flag = plus ? 'p=tls-exporter' : binding === undefined ? 'n' : 'y';
    this.gs2Header = `${flag},${authzidPart},`;
    this.channelBindingInput = plus && binding !== undefined ? concatBytes(utf8(this.gs2Header), binding.data) : utf8(this.gs2Header);
    this.clientNonce = checkNonce((context.nonceFactory ?? randomNonce)(), 'SCRAM client nonce');
    this.clientFirstBare = `n=${encodeSaslname(preparedUsername)},r=${this.clientNonce}`;
  }

  get complete(): boolean {
    return this.state === 'complete';
  }

  initialResponse(): Uint8Array {
    if (this.state !== 'start') throw new SaslError('invalid-state', `${this.name}: the client-first message was already sent`);
    this.state = 'sent-first';
    return utf8(this.gs2Header + this.clientFirstBare);
  }

  respond(challenge: Uint8Array): Uint8Array {
    switch (this.state) {
      case 'start':
        if (challenge.length === 0) return this.initialResponse();
        break;
      case 'sent-first':
        return this.answerServerFirst(decodeUtf8(challenge));
      case 'sent-final':
        return this.verifyServerFinal(decodeUtf8(challenge));
      case 'complete':
        break;
    }
    throw new SaslError('unexpected-challenge', `${this.name}: unexpected challenge`);
  }

  private answerServerFirst(serverFirst: string): Uint8Array {
    const attributes = parseScramAttributes(serverFirst);
    const [r, s, i] = attributes ?? [];
    if (r?.name !== 'r' || s?.name !== 's' || i?.name !== 'i' || !isScramNonce(r.value)) {
      throw new SaslError('malformed-challenge', `${this.name}: the server-first message does not follow RFC 5802`);
    }
    if (!r.value.startsWith(this.clientNonce) || r.value.length === this.clientNonce.length) {
      throw new SaslError('nonce-mismatch', `${this.name}: the server nonce does not extend the client nonce`);
    }
    const salt = fromBase64(s.value);
    const iterations = parseIterationCount(i.value);
    if (salt === undefined || salt.length === 0 || iterations === undefined || iterations > MAX_SCRAM_ITERATIONS) {
      throw new SaslError('malformed-challenge', `${this.name}: bad salt or iteration count (at most ${MAX_SCRAM_ITERATIONS})`);
    }
    if (iterations < MIN_SCRAM_ITERATIONS && this.context.allowWeakIterations !== true) {
      throw new SaslError('weak-iterations', `${this.name}: the server asks for ${iterations} iterations, fewer than ${MIN_SCRAM_ITERATIONS}`);
    }
    const keys = scramKeys(this.hash, this.password, salt, iterations);
    const withoutProof = `c=${toBase64(this.channelBindingInput)},r=${r.value}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const proof = xorBytes(keys.clientKey, scramHmac(this.hash, keys.storedKey, authMessage));
    this.expectedServerSignature = scramHmac(this.hash, keys.serverKey, authMessage);
    this.state = 'sent-final';
    return utf8(`${withoutProof},p=${toBase64(proof)}`);
  }

  private verifyServerFinal(serverFinal: string): Uint8Array {
    const [first] = parseScramAttributes(serverFinal) ?? [];
    if (first?.name === 'e') {
      const reason = /^[\x21-\x2b\x2d-\x7e]{1,64}$/.test(first.value) ? first.value : 'unreadable';
      throw new SaslError('server-error', `${this.name}: the server reported an error: ${reason}`);
    }
    const signature = first?.name === 'v' ? fromBase64(first.value) : undefined;
    if (signature === undefined) {
      throw new SaslError('malformed-challenge', `${this.name}: the server-final message does not follow RFC 5802`);
    }
    if (!bytesEqual(signature, this.expectedServerSignature)) {
      throw new SaslError('bad-server-signature', `${this.name}: the server signature is wrong; the server does not know the password`);
    }
    this.state = 'complete';
    return new Uint8Array(0);
  }
}
