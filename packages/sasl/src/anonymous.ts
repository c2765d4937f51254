import { utf8 } from './bytes.js';
import { checkCredentialText } from './credentials.js';
import { SaslError } from './sasl-error.js';
import { SingleMessageClient } from './single-message-client.js';
import type { SaslClientMechanism, SaslCredentials } from './types.js';

/** RFC 4505 limits the trace to 255 characters. */
export const MAX_TRACE_LENGTH = 255;

/** ANONYMOUS (RFC 4505): sends `username` as the trace string (an e-mail address or an opaque token). */
export function createAnonymousClient(credentials: SaslCredentials): SaslClientMechanism {
  const trace = credentials.username;
  checkCredentialText(trace, 'trace', { forbidden: /\0/ });
  if (Array.from(trace).length > MAX_TRACE_LENGTH) {
    throw new SaslError('invalid-credentials', 'ANONYMOUS: the trace is longer than 255 characters');
  }
  return new SingleMessageClient('ANONYMOUS', utf8(trace));
}
