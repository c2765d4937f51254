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

/** Node's codes for a connection the peer dropped or reset. */
const DROPPED_CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE']);

/**
 * Whether a wire error is the peer hanging up. During a TLS handshake that is
 * a transient failure of the connection, not a certificate or TLS setup
 * problem: the wire reports it as `tls` (implicit TLS) or `reset` (STLS).
 *
 * @param error - what the connection threw
 */
export function isDroppedConnection(error: WireError): boolean {
  return error.code !== undefined && DROPPED_CONNECTION_CODES.has(error.code);
}

/**
 * The error for a server that hung up in the middle of the TLS handshake.
 *
 * @param error - the wire's report of the handshake failure
 * @param phase - `connect` for implicit TLS, `stls` after STLS
 * @returns a transient {@link Pop3ConnectionError} of kind `reset`
 */
export function handshakeDropped(error: WireError, phase: Pop3Phase): Pop3ConnectionError {
  const reason = error.cause instanceof Error ? error.cause.message : error.message;
  return new Pop3ConnectionError(
    `The server closed the connection in the middle of the TLS handshake (${reason}). Try again later; if it keeps happening, check the server's TLS setup and logs.`,
    'reset',
    { phase, transient: true, cause: error },
  );
}

/**
 * Wraps a {@link WireError} into the POP3 error for the phase it happened in,
 * keeping the wire's message (which already says what to do) and its kind.
 *
 * @param error - what the connection threw
 * @param phase - the POP3 phase in progress
 * @returns a {@link Pop3TimeoutError} or {@link Pop3ConnectionError}
 */
export function pop3ErrorFromWire(error: WireError, phase: Pop3Phase): Pop3Error {
  if (error.kind === 'tls' && isDroppedConnection(error)) return handshakeDropped(error, phase);
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
