import type { WireError } from '@sysmail/wire';

/**
 * The step of a POP3 session an error happened in:
 *
 * - `connect`: TCP connection and, for implicit TLS, the handshake.
 * - `greeting`: waiting for the server's `+OK` greeting.
 * - `stls`: the `STLS` command and the TLS handshake after it.
 * - `auth`: `USER`/`PASS`, `APOP` or `AUTH`.
 * - `command`: any other command and its reply (CAPA, STAT, LIST, UIDL, DELE, RSET, NOOP).
 * - `retrieve`: `RETR` and `TOP`, reply and message body.
 * - `quit`: `QUIT` and the commit of deletions.
 */
export type Pop3Phase = 'connect' | 'greeting' | 'stls' | 'auth' | 'command' | 'retrieve' | 'quit';

/** What a {@link Pop3Error} carries besides its message. */
export interface Pop3ErrorDetails {
  /** The session step the error happened in. */
  phase: Pop3Phase;
  /** Whether trying again later may succeed. */
  transient?: boolean;
  /** The server's status line, secrets redacted, when the server answered. */
  response?: string;
  /** The RFC 2449 response code (`AUTH`, `IN-USE`, `SYS/TEMP`…) from the status line. */
  code?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The base class of every error the POP3 client throws. Like the SMTP client's
 * `SmtpError` it says in which `phase` it happened, whether it is `transient`,
 * and, where the server answered, its `response` and RFC 2449 `code`.
 */
export class Pop3Error extends Error {
  /** The session step the error happened in. */
  readonly phase: Pop3Phase;
  /** Whether trying again later may succeed (timeouts, resets, `[IN-USE]`, `[LOGIN-DELAY]`, `[SYS/TEMP]`). */
  readonly transient: boolean;
  /** The server's status line, secrets redacted, when the server answered. */
  readonly response: string | undefined;
  /** The RFC 2449 response code of the status line (upper case, e.g. `SYS/TEMP`), if it had one. */
  readonly code: string | undefined;

  /**
   * Creates a POP3 error.
   *
   * @param message - what happened and what to do about it
   * @param details - phase, transience, the server's response and its code
   */
  constructor(message: string, details: Pop3ErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'Pop3Error';
    this.phase = details.phase;
    this.transient = details.transient ?? false;
    this.response = details.response;
    this.code = details.code;
  }
}

/** Authentication failed or cannot be attempted safely (no APOP timestamp, a password over an unencrypted link). */
export class Pop3AuthError extends Pop3Error {
  /**
   * Creates an authentication error.
   *
   * @param message - what happened and what to do about it
   * @param details - phase, transience, the server's response and its code
   */
  constructor(message: string, details: Pop3ErrorDetails) {
    super(message, details);
    this.name = 'Pop3AuthError';
  }
}

/**
 * Why a {@link Pop3ProtocolError} was raised:
 *
 * - `malformed-response`: a status line is neither `+OK`, `-ERR` nor a `+` continuation.
 * - `line-too-long`: a status line over 4 KiB or a message line over 64 KiB.
 * - `response-too-large`: a multi-line response over the client's size limit.
 * - `truncated`: the connection ended inside a response.
 * - `unexpected-response`: a well-formed line where another was required (a continuation outside AUTH).
 * - `invalid-argument`: a command argument the client refuses to send (CR, LF, NUL, or what RFC 1939 forbids).
 * - `invalid-timestamp`: an APOP timestamp that is not a well-formed `<local@domain>` msg-id.
 */
export type Pop3ProtocolErrorReason =
  | 'malformed-response'
  | 'line-too-long'
  | 'response-too-large'
  | 'truncated'
  | 'unexpected-response'
  | 'invalid-argument'
  | 'invalid-timestamp';

/**
 * A violation of the POP3 protocol: the server sent something unparsable or
 * oversized, or the caller asked for a command the protocol cannot carry
 * safely. The only error the sans-I/O core throws.
 */
export class Pop3ProtocolError extends Pop3Error {
  /** The machine-readable reason. */
  readonly reason: Pop3ProtocolErrorReason;

  /**
   * Creates a protocol error.
   *
   * @param reason - the machine-readable reason
   * @param message - what happened and what to do about it
   * @param details - the phase (default `command`) and the offending response, if any
   */
  constructor(reason: Pop3ProtocolErrorReason, message: string, details: Partial<Pop3ErrorDetails> = {}) {
    super(message, { phase: 'command', ...details });
    this.name = 'Pop3ProtocolError';
    this.reason = reason;
  }
}

/** The server answered a command with `-ERR`. */
export class Pop3ResponseError extends Pop3Error {
  /**
   * Creates a response error.
   *
   * @param message - what happened and what to do about it
   * @param details - phase, transience, the server's response and its code
   */
  constructor(message: string, details: Pop3ErrorDetails) {
    super(message, details);
    this.name = 'Pop3ResponseError';
  }
}

/** A phase's total deadline passed; the connection was closed. Always transient. */
export class Pop3TimeoutError extends Pop3Error {
  /**
   * Creates a timeout error.
   *
   * @param message - which phase timed out and what to do about it
   * @param details - the phase and the wire error
   */
  constructor(message: string, details: Pop3ErrorDetails) {
    super(message, { ...details, transient: true });
    this.name = 'Pop3TimeoutError';
  }
}

/**
 * The connection failed: refused, reset, closed by the server, a TLS handshake
 * or certificate failure, an abort, or plaintext injected before the STLS
 * handshake. `kind` says which, as the wire layer's `WireError` does.
 */
export class Pop3ConnectionError extends Pop3Error {
  /** What went wrong on the wire. */
  readonly kind: WireError['kind'];

  /**
   * Creates a connection error.
   *
   * @param message - what happened and what to do about it
   * @param kind - the wire error's kind
   * @param details - phase, transience and the wire error
   */
  constructor(message: string, kind: WireError['kind'], details: Pop3ErrorDetails) {
    super(message, details);
    this.name = 'Pop3ConnectionError';
    this.kind = kind;
  }
}

/** The options or the call cannot work as given (bad port, APOP without a timestamp, a plaintext password refused); nothing was sent. */
export class Pop3ConfigError extends Pop3Error {
  /**
   * Creates a configuration error.
   *
   * @param message - what is wrong and how to fix it
   * @param phase - the step that refused to start
   */
  constructor(message: string, phase: Pop3Phase) {
    super(message, { phase });
    this.name = 'Pop3ConfigError';
  }
}
