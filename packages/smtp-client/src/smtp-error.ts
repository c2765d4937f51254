import type { SmtpReply } from './protocol/reply.js';

/**
 * The step of an SMTP session an error happened in: establishing the
 * connection, the server's greeting, EHLO/HELO, the TLS upgrade, AUTH, the
 * MAIL / RCPT / DATA steps of a transaction, or QUIT.
 */
export type SmtpPhase = 'connect' | 'greeting' | 'ehlo' | 'starttls' | 'auth' | 'mail' | 'rcpt' | 'data' | 'quit';

/** What every {@link SmtpError} can be created with. */
export interface SmtpErrorOptions {
  /** Whether trying again later may succeed; defaults to the reply's class (4xx) or false. */
  transient?: boolean;
  /** The server's reply, when the server answered. */
  reply?: SmtpReply;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The base class of every error this package throws. Catch it to handle any
 * SMTP failure; look at the subclass, {@link SmtpError.phase} and
 * {@link SmtpError.transient} to decide what to do.
 *
 * The hierarchy:
 * - {@link SmtpReplyError}: the server refused a command (4xx/5xx).
 * - {@link SmtpAuthError}: authentication failed, was refused locally, or the server's proof was wrong.
 * - {@link SmtpProtocolError}: the server broke the protocol (malformed or oversized replies, bytes injected before TLS).
 * - {@link SmtpConnectionError}: the connection could not be made or is gone; subclasses
 *   {@link SmtpTlsError}, {@link SmtpTimeoutError} and {@link SmtpAbortError}.
 * - {@link SmtpArgumentError}: the caller passed something that cannot be sent (bad address, CR/LF in an argument).
 * - {@link SmtpCapabilityError}: the server lacks what the operation needs (STARTTLS, 8BITMIME, SMTPUTF8, a large enough SIZE, AUTH).
 *
 * Messages never contain a password, token or message content.
 */
export class SmtpError extends Error {
  /** The session step that failed. */
  readonly phase: SmtpPhase;
  /** True when the same operation may succeed if tried again later (4xx replies, timeouts, resets). */
  readonly transient: boolean;
  /** The server's reply, when the error is the server's answer. */
  readonly reply: SmtpReply | undefined;

  /**
   * Creates an SMTP error.
   *
   * @param phase - the session step that failed
   * @param message - what happened and what to do about it
   * @param options - transience, the server's reply and the cause
   */
  constructor(phase: SmtpPhase, message: string, options: SmtpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SmtpError';
    this.phase = phase;
    this.reply = options.reply;
    this.transient = options.transient ?? (options.reply !== undefined && options.reply.code >= 400 && options.reply.code < 500);
  }
}

/** A recipient the server refused, with its reply. */
export interface SmtpRejectedRecipient {
  /** The address as given in the envelope. */
  address: string;
  /** The server's reply to its RCPT command. */
  reply: SmtpReply;
}

/**
 * The server answered a command with a 4xx (transient) or 5xx (permanent)
 * reply. The session stays usable unless the reply was 421 (the server is
 * closing the connection), in which case the client is closed.
 */
export class SmtpReplyError extends SmtpError {
  /** The server's refusal. */
  declare readonly reply: SmtpReply;
  /** For a transaction refused because every recipient was rejected: each address with its reply. */
  readonly rejectedRecipients: readonly SmtpRejectedRecipient[];

  /**
   * Creates a reply error.
   *
   * @param phase - the session step whose command was refused
   * @param message - what happened and what to do about it
   * @param reply - the server's reply
   * @param rejectedRecipients - the refused recipients, when the phase is `rcpt`
   */
  constructor(phase: SmtpPhase, message: string, reply: SmtpReply, rejectedRecipients: readonly SmtpRejectedRecipient[] = []) {
    super(phase, message, { reply, transient: reply.code === 421 || (reply.code >= 400 && reply.code < 500) });
    this.name = 'SmtpReplyError';
    this.rejectedRecipients = rejectedRecipients;
  }
}

/**
 * Authentication failed. With a `reply`, the server refused (535 bad
 * credentials, 534 mechanism too weak, 530, or a 4xx such as 454, which is
 * transient). Without one, it was refused before anything was sent (a
 * clear-text mechanism over an unencrypted connection, bad credentials for the
 * mechanism) or the server failed to prove itself (a wrong DIGEST-MD5 `rspauth`
 * or SCRAM signature, success before the mechanism finished): then the `cause`
 * is the `SaslError`.
 */
export class SmtpAuthError extends SmtpError {
  /** The mechanism used or attempted, when one was chosen. */
  readonly mechanism: string | undefined;
  /**
   * The decoded JSON error an XOAUTH2 / OAUTHBEARER server sent before refusing
   * a token, e.g. `{ status: '401', schemes: 'Bearer', scope: '…' }`: `status`
   * 401 usually means the token expired and must be refreshed.
   */
  readonly oauthError: Readonly<Record<string, unknown>> | undefined;

  /**
   * Creates an authentication error.
   *
   * @param message - what happened and what to do about it
   * @param options - the mechanism, the server's reply, its OAuth error, transience and the cause
   */
  constructor(
    message: string,
    options: SmtpErrorOptions & { mechanism?: string; oauthError?: Readonly<Record<string, unknown>> } = {},
  ) {
    super('auth', message, options);
    this.name = 'SmtpAuthError';
    this.mechanism = options.mechanism;
    this.oauthError = options.oauthError;
  }
}

/**
 * The server broke the protocol: a malformed, oversized or unexpected reply, or
 * bytes sent after its STARTTLS reply and before the TLS handshake (a possible
 * injection attack). The connection is closed; it cannot be trusted any more.
 */
export class SmtpProtocolError extends SmtpError {
  /**
   * Creates a protocol error.
   *
   * @param phase - the session step during which the server misbehaved
   * @param message - what the server did wrong
   * @param options - the cause
   */
  constructor(phase: SmtpPhase, message: string, options: { cause?: unknown } = {}) {
    super(phase, message, { transient: false, cause: options.cause });
    this.name = 'SmtpProtocolError';
  }
}

/**
 * The connection could not be made, or is gone: refused, unreachable, reset,
 * closed by the server, or already closed by this client. Transient unless the
 * client itself closed it.
 */
export class SmtpConnectionError extends SmtpError {
  /**
   * Creates a connection error.
   *
   * @param phase - the session step that was running
   * @param message - what happened and what to do about it
   * @param options - transience and the cause (usually a `WireError`)
   */
  constructor(phase: SmtpPhase, message: string, options: { transient?: boolean; cause?: unknown } = {}) {
    super(phase, message, { transient: options.transient ?? true, cause: options.cause });
    this.name = 'SmtpConnectionError';
  }
}

/**
 * The TLS handshake failed or the server's certificate was refused (unknown
 * CA, wrong host name, expired). Not transient: fix the certificate or the
 * `tls` options.
 */
export class SmtpTlsError extends SmtpConnectionError {
  /**
   * Creates a TLS error.
   *
   * @param phase - `connect` for implicit TLS, `starttls` for an upgrade
   * @param message - what was wrong and what to do about it
   * @param options - the cause
   */
  constructor(phase: SmtpPhase, message: string, options: { cause?: unknown } = {}) {
    super(phase, message, { transient: false, cause: options.cause });
    this.name = 'SmtpTlsError';
  }
}

/** A phase's total deadline passed; the connection was closed. Transient. */
export class SmtpTimeoutError extends SmtpConnectionError {
  /**
   * Creates a timeout error.
   *
   * @param phase - the session step whose deadline passed
   * @param message - which deadline passed
   * @param options - the cause
   */
  constructor(phase: SmtpPhase, message: string, options: { cause?: unknown } = {}) {
    super(phase, message, { transient: true, cause: options.cause });
    this.name = 'SmtpTimeoutError';
  }
}

/** The caller's `AbortSignal` fired; the connection was closed. Not transient. */
export class SmtpAbortError extends SmtpConnectionError {
  /**
   * Creates an abort error.
   *
   * @param phase - the session step that was running
   * @param options - the signal's reason
   */
  constructor(phase: SmtpPhase, options: { cause?: unknown } = {}) {
    super(phase, `The SMTP operation was aborted by the caller during ${phase}; the connection was closed.`, {
      transient: false,
      cause: options.cause,
    });
    this.name = 'SmtpAbortError';
  }
}

/**
 * The caller asked for something that cannot be sent: an invalid address, a
 * CR, LF or NUL in a command argument, a bad option. Nothing was sent.
 */
export class SmtpArgumentError extends SmtpError {
  /**
   * Creates an argument error.
   *
   * @param phase - the session step the argument was for
   * @param message - what is wrong with the argument
   */
  constructor(phase: SmtpPhase, message: string) {
    super(phase, message, { transient: false });
    this.name = 'SmtpArgumentError';
  }
}

/**
 * The server does not offer what the operation needs: STARTTLS when security
 * is `starttls`, AUTH or a usable mechanism, 8BITMIME for 8-bit content,
 * SMTPUTF8 for an internationalised address, or a SIZE limit large enough
 * for the message. Nothing was sent for the operation.
 */
export class SmtpCapabilityError extends SmtpError {
  /**
   * Creates a capability error.
   *
   * @param phase - the session step that needed the capability
   * @param message - what is missing and what to do about it
   */
  constructor(phase: SmtpPhase, message: string) {
    super(phase, message, { transient: false });
    this.name = 'SmtpCapabilityError';
  }
}
