/**
 * @packageDocumentation
 * The I/O shell that sysmail's SMTP and POP3 clients share, free of either
 * protocol: connecting over TCP or TLS, the in-place TLS upgrade that refuses
 * any byte received before the handshake, total per-phase deadlines, abort,
 * bounded pull-based reads, writes with backpressure, and a transcript with
 * redaction.
 */
export { WireConnection, type WireConnectOptions, type ChannelBinding } from './connection.js';
export { WireError, type WireErrorKind } from './wire-error.js';
export type { WireTlsOptions, TlsDetails } from './tls-options.js';
export { Transcript, REDACTED, type TranscriptEntry, type TranscriptDirection, type TranscriptListener } from './transcript.js';
export { resolveTimeouts, type PhaseTimeouts } from './timeouts.js';
export type { DeadlineRestart } from './rearmable-deadline.js';
export { describeTlsFailure } from './tls-failure.js';
