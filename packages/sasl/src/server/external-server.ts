import { decodeUtf8 } from '../bytes.js';
import type { SaslServerStep, SaslServerVerifier } from '../types.js';
import { ClientFirstServer, failure } from './server-mechanism-base.js';

/** EXTERNAL server: accepts the verifier's `externalIdentity`, when the client asks for no other identity. */
export class ExternalServer extends ClientFirstServer {
  constructor(private readonly verifier: SaslServerVerifier) {
    super('EXTERNAL');
  }

  protected verify(message: Uint8Array): SaslServerStep {
    const authzid = decodeUtf8(message);
    const identity = this.verifier.externalIdentity;
    if (identity === undefined) return failure('EXTERNAL: no identity was established outside SASL');
    if (authzid !== '' && authzid !== identity) return failure('EXTERNAL: not authorized to act as the requested identity');
    return { type: 'success', identity };
  }
}
