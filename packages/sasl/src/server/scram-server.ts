import { randomBytes } from 'node:crypto';
import { bytesEqual, concatBytes, decodeUtf8, fromBase64, randomNonce, toBase64, utf8 } from '../bytes.js';
import { decodeSaslname, type Gs2Header, parseGs2Header } from '../gs2-header.js';
import { isScramNonce, parseScramAttributes } from '../scram-attributes.js';
import { type ScramHash, type ScramKeys, scramDigest, scramHmac, scramKeys, xorBytes } from '../scram-crypto.js';
import { saslprep } from '../saslprep.js';
import type { SaslServerContext, SaslServerStep, SaslServerVerifier } from '../types.js';
import { challenge, failure, ServerMechanismBase } from './server-mechanism-base.js';

/** The server's half of the exchange so far, kept between the two client messages. */
interface ScramServerState {
  readonly gs2: Gs2Header;
  readonly username: string;
  readonly keys: ScramKeys;
  readonly nonce: string;
  readonly clientFirstBare: string;
  readonly serverFirst: string;
}

/**
 * SCRAM server (RFC 5802, RFC 7677, RFC 9266 for -PLUS): answers client-first with
 * server-first, checks the proof in client-final, and returns success with `finalData`
 * `v=<server signature>`. Unknown users get a made-up key, so the exchange fails only at
 * the proof and does not reveal which usernames exist.
 */
export class ScramServer extends ServerMechanismBase {
  private state: ScramServerState | undefined;
  private awaitingFirst = true;

  constructor(
    name: string,
    private readonly hash: ScramHash,
    private readonly plus: boolean,
    private readonly verifier: SaslServerVerifier,
    private readonly context: SaslServerContext,
  ) {
    super(name);
  }

  protected next(response: Uint8Array | null): SaslServerStep {
    if (this.awaitingFirst) {
      if (response === null) return challenge(new Uint8Array(0));
      this.awaitingFirst = false;
      return this.answerClientFirst(decodeUtf8(response));
    }
    if (this.state === undefined || response === null) return failure(`${this.name}: unexpected message`);
    return this.checkClientFinal(this.state, decodeUtf8(response));
  }

  private answerClientFirst(message: string): SaslServerStep {
    const gs2 = parseGs2Header(message);
    if (gs2 === undefined) return failure(`${this.name}: bad GS2 header`);
    if (this.plus ? gs2.flag !== 'p' || gs2.cbName !== 'tls-exporter' || this.context.channelBinding === undefined : gs2.flag === 'p') {
      return failure(`${this.name}: the channel binding request does not fit the mechanism`);
    }
    if (!this.plus && gs2.flag === 'y' && this.context.channelBinding !== undefined) {
      return failure(`${this.name}: the client could bind the channel but thinks this server cannot: downgrade`);
    }
    const [n, r] = parseScramAttributes(gs2.rest) ?? [];
    const username = n?.name === 'n' ? decodeSaslname(n.value) : undefined;
    if (username === undefined || username === '' || r?.name !== 'r' || !isScramNonce(r.value)) {
      return failure(`${this.name}: the client-first message does not follow RFC 5802`);
    }
    if (gs2.authzid !== undefined && gs2.authzid !== username) return failure(`${this.name}: not authorized to act as the requested identity`);
    const salt = this.context.salt ?? new Uint8Array(randomBytes(16));
    const iterations = this.context.iterations ?? 4096;
    const stored = this.verifier.lookupPassword(username);
    const keys =
      stored === undefined
        ? { clientKey: new Uint8Array(0), storedKey: new Uint8Array(randomBytes(32)), serverKey: new Uint8Array(0) }
        : scramKeys(this.hash, saslprep(stored), salt, iterations);
    const nonce = r.value + (this.context.nonceFactory ?? randomNonce)();
    const serverFirst = `r=${nonce},s=${toBase64(salt)},i=${iterations}`;
    this.state = { gs2, username, keys, nonce, clientFirstBare: gs2.rest, serverFirst };
    return challenge(utf8(serverFirst));
  }

  private checkClientFinal(state: ScramServerState, message: string): SaslServerStep {
    const proofAt = message.lastIndexOf(',p=');
    const withoutProof = message.slice(0, proofAt);
    const [c, r] = parseScramAttributes(withoutProof) ?? [];
    const proof = proofAt < 0 ? undefined : fromBase64(message.slice(proofAt + 3));
    if (c?.name !== 'c' || r?.name !== 'r' || proof === undefined) return failure(`${this.name}: the client-final message does not follow RFC 5802`);
    const binding = this.context.channelBinding;
    const expectedBinding = state.gs2.flag === 'p' && binding !== undefined ? concatBytes(utf8(state.gs2.header), binding.data) : utf8(state.gs2.header);
    const sentBinding = fromBase64(c.value);
    if (sentBinding === undefined || !bytesEqual(sentBinding, expectedBinding)) return failure(`${this.name}: channel binding mismatch`);
    if (r.value !== state.nonce) return failure(`${this.name}: nonce mismatch`);
    const authMessage = `${state.clientFirstBare},${state.serverFirst},${withoutProof}`;
    const clientSignature = scramHmac(this.hash, state.keys.storedKey, authMessage);
    if (proof.length !== clientSignature.length || !bytesEqual(scramDigest(this.hash, xorBytes(proof, clientSignature)), state.keys.storedKey)) {
      return failure(`${this.name}: invalid proof`);
    }
    const serverSignature = scramHmac(this.hash, state.keys.serverKey, authMessage);
    return { type: 'success', identity: state.username, finalData: utf8(`v=${toBase64(serverSignature)}`) };
  }
}
