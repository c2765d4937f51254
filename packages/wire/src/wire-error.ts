/**
 * What went wrong on the wire, independent of the protocol spoken over it.
 *
 * - `connect`: the TCP connection could not be made (refused, unreachable, DNS).
 * - `tls`: the TLS handshake failed or the peer's certificate was refused.
 * - `timeout`: a phase's total deadline passed.
 * - `aborted`: the caller's `AbortSignal` fired.
 * - `closed`: the peer closed the connection, or the connection was already closed.
 * - `reset`: the connection failed after it was established (ECONNRESET, EPIPE…).
 * - `injection`: the peer sent bytes that must not exist at that point, such as
 *   plaintext after a STARTTLS reply and before the TLS handshake.
 */
export type WireErrorKind = 'connect' | 'tls' | 'timeout' | 'aborted' | 'closed' | 'reset' | 'injection';

/**
 * An error of the connection itself. The SMTP and POP3 clients wrap it into
 * their own typed errors, adding the protocol phase and the server's reply.
 */
export class WireError extends Error {
  /** What went wrong; see {@link WireErrorKind}. */
  readonly kind: WireErrorKind;
  /** The phase whose deadline or I/O failed, as named by the protocol client. */
  readonly phase: string | undefined;
  /** Node's error code when one caused this (`ECONNREFUSED`, `CERT_HAS_EXPIRED`…). */
  readonly code: string | undefined;

  /**
   * Creates a wire error.
   *
   * @param kind - what went wrong
   * @param message - what happened and what to do about it
   * @param options - the phase, the underlying cause and its code
   */
  constructor(kind: WireErrorKind, message: string, options: { phase?: string; cause?: unknown; code?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WireError';
    this.kind = kind;
    this.phase = options.phase;
    this.code = options.code ?? codeOf(options.cause);
  }

  /** True when trying again later may succeed: timeouts, resets, refused connections. */
  get transient(): boolean {
    return this.kind === 'timeout' || this.kind === 'reset' || this.kind === 'closed' || this.kind === 'connect';
  }
}

function codeOf(cause: unknown): string | undefined {
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') {
    return cause.code;
  }
  return undefined;
}
