/**
 * @packageDocumentation
 * A streaming POP3 client (RFC 1939) with CAPA, RESP-CODES and PIPELINING
 * (RFC 2449), STLS (RFC 2595), SASL AUTH (RFC 5034) through `@sysmail/sasl`,
 * and APOP with a checked timestamp. Its sans-I/O core (status-line parser,
 * streaming dot-unstuffer, command encoder, APOP digest) is exported too.
 */
export { Pop3Client, PIPELINE_WINDOW, type Pop3Reply, type Pop3DiagnosticChannel } from './pop3-client.js';
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_POP3_TIMEOUTS,
  type Pop3ConnectOptions,
  type Pop3LoginMethod,
  type Pop3LoginOptions,
  type Pop3PasswordLogin,
  type Pop3Security,
  type Pop3TimeoutPhase,
  type Pop3TokenLogin,
} from './pop3-options.js';
export {
  Pop3AuthError,
  Pop3ConfigError,
  Pop3ConnectionError,
  Pop3Error,
  Pop3ProtocolError,
  Pop3ResponseError,
  Pop3TimeoutError,
  type Pop3ErrorDetails,
  type Pop3Phase,
  type Pop3ProtocolErrorReason,
} from './errors.js';
export { ResponseParser, MAX_BODY_LINE_BYTES, MAX_STATUS_LINE_BYTES, type BodyEvent } from './protocol/response-parser.js';
export { parseStatusLine, isTransientCode, type StatusLine } from './protocol/status-line.js';
export { encodeCommand, checkArgument, MAX_COMMAND_LINE_BYTES, type ArgumentRule } from './protocol/command-encoder.js';
export { apopDigest, extractApopTimestamp, isValidApopTimestamp } from './protocol/apop.js';
export { parseCapabilities, type Pop3Capabilities } from './protocol/capabilities.js';
export { type MailboxStat, type MessageSize, type MessageUid } from './protocol/listings.js';
