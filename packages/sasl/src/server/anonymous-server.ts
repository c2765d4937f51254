import { MAX_TRACE_LENGTH } from '../anonymous.js';
import { decodeUtf8 } from '../bytes.js';
import type { SaslServerStep } from '../types.js';
import { ClientFirstServer, failure } from './server-mechanism-base.js';

/** ANONYMOUS server: accepts any trace of at most 255 characters as the identity `anonymous`. */
export class AnonymousServer extends ClientFirstServer {
  constructor() {
    super('ANONYMOUS');
  }

  protected verify(message: Uint8Array): SaslServerStep {
    const trace = decodeUtf8(message);
    if (Array.from(trace).length > MAX_TRACE_LENGTH) return failure('ANONYMOUS: the trace is longer than 255 characters');
    return { type: 'success', identity: 'anonymous' };
  }
}
