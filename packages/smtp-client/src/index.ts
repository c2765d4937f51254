/**
 * @packageDocumentation
 * A safe, streaming SMTP submission client for Node, on `@sysmail/wire` and
 * `@sysmail/sasl`: STARTTLS that never downgrades and refuses bytes injected
 * before the handshake, implicit TLS, SMTP AUTH with every `@sysmail/sasl`
 * mechanism and SASL-IR, PIPELINING, BDAT, SIZE, 8BITMIME, SMTPUTF8, DSN, a
 * DATA encoder that normalises line ends before dot-stuffing (no SMTP
 * smuggling), per-recipient results and typed errors. The protocol core
 * (reply parser, capability parser, command and DATA encoders) is exported
 * for tools and tests; it does no I/O.
 */
export { SmtpClient, type SmtpAuthResult, type SmtpCredentials, type SmtpRawCommandOptions, type SmtpSendResult } from './smtp-client.js';
export { DEFAULT_SMTP_TIMEOUTS, type SmtpClientOptions, type SmtpSecurity, type SmtpTimeoutPhase } from './options.js';
export type { SmtpMessage } from './message-source.js';
export {
  SmtpAbortError,
  SmtpArgumentError,
  SmtpAuthError,
  SmtpCapabilityError,
  SmtpConnectionError,
  SmtpError,
  SmtpProtocolError,
  SmtpReplyError,
  SmtpTimeoutError,
  SmtpTlsError,
  type SmtpErrorOptions,
  type SmtpPhase,
  type SmtpRejectedRecipient,
} from './smtp-error.js';
export type { SmtpReply } from './protocol/reply.js';
export { ReplyParser, MAX_REPLY_BYTES, MAX_REPLY_LINES, MAX_REPLY_LINE_BYTES } from './protocol/reply-parser.js';
export { parseCapabilities, type SmtpCapabilities } from './protocol/capabilities.js';
export { DataEncoder, type DataFraming } from './protocol/data-encoder.js';
export { checkMailbox, type AddressCheck } from './protocol/address.js';
export { encodeXtext } from './protocol/xtext.js';
export type { SmtpDsnOptions, SmtpEnvelope } from './protocol/transaction.js';
