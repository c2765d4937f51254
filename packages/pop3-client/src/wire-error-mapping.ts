import { WireError } from '@sysmail/wire';
import { Pop3ConnectionError, Pop3Error, Pop3TimeoutError, type Pop3Phase } from './errors.js';

const ADVICE: Record<WireError['kind'], string> = {
  connect: '',
  tls: '',
  timeout: 'The server may be overloaded or the network slow; try again later, or raise the timeout.',
  aborted: '',
  closed: 'Try again; if it keeps happening, look at the server logs.',
  reset: 'Try again; if it keeps happening, look at the network between this host and the server.',
  injection: '',
};

/**
 * Wraps a {@link WireError} into the POP3 error for the phase it happened in,
 * keeping the wire's message (which already says what to do) and its kind.
 *
 * @param error - what the connection threw
 * @param phase - the POP3 phase in progress
 * @returns a {@link Pop3TimeoutError} or {@link Pop3ConnectionError}
 */
export function pop3ErrorFromWire(error: WireError, phase: Pop3Phase): Pop3Error {
  const advice = ADVICE[error.kind];
  const message = advice === '' ? error.message : `${error.message} ${advice}`;
  if (error.kind === 'timeout') return new Pop3TimeoutError(message, { phase, cause: error });
  return new Pop3ConnectionError(message, error.kind, { phase, transient: error.transient, cause: error });
}

/**
 * Whether a value is a wire error.
 *
 * @param error - anything thrown
 */
export function isWireError(error: unknown): error is WireError {
  return error instanceof WireError;
}
