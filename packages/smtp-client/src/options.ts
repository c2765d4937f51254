import * as net from 'node:net';
import * as os from 'node:os';
import type { PhaseTimeouts, TranscriptListener, WireTlsOptions } from '@sysmail/wire';
import { isValidClientName } from './protocol/address.js';

/** The phases with their own deadline: see {@link SmtpClientOptions.timeouts}. */
export type SmtpTimeoutPhase = 'connect' | 'greeting' | 'command' | 'data';

/**
 * The default deadlines in milliseconds, after RFC 5321 §4.5.3.2 shortened for
 * submission: connect 30 s (TCP and implicit TLS), greeting 30 s, command 60 s
 * (each command's reply, the STARTTLS handshake and each AUTH step), data 600 s
 * (the whole message and the reply to its end).
 */
export const DEFAULT_SMTP_TIMEOUTS: Readonly<Record<SmtpTimeoutPhase, number>> = Object.freeze({
  connect: 30_000,
  greeting: 30_000,
  command: 60_000,
  data: 600_000,
});

/**
 * How the connection is protected:
 * - `tls`: TLS from the first byte (SMTPS, port 465).
 * - `starttls`: plaintext, then STARTTLS before anything else; if the server does
 *   not offer or refuses it, the connection fails — it never goes on in plaintext.
 * - `none`: plaintext throughout. Authentication that sends a password or token in
 *   the clear is then refused unless `allowPlaintextAuth` is set.
 */
export type SmtpSecurity = 'none' | 'starttls' | 'tls';

/** How to connect: see {@link SmtpClient.connect}. */
export interface SmtpClientOptions {
  /** The server's host name or IP address. */
  host: string;
  /** The port: default 465 for `tls`, else 25 (use 587 for submission with STARTTLS). */
  port?: number;
  /** Connection protection; default `starttls`. */
  security?: SmtpSecurity;
  /**
   * The EHLO / HELO argument. Default: this host's name when it is a fully qualified
   * domain name, else the address literal of the connection's local address.
   */
  clientName?: string;
  /** Deadlines in milliseconds, per phase or one number for all; see {@link DEFAULT_SMTP_TIMEOUTS}. */
  timeouts?: PhaseTimeouts<SmtpTimeoutPhase>;
  /** TLS settings; certificate verification is on unless `rejectUnauthorized: false`. */
  tls?: WireTlsOptions;
  /** Aborts whatever is in flight and closes the connection. */
  signal?: AbortSignal;
  /** Receives every line sent and received, with secrets redacted and message content summarised. */
  onTranscript?: TranscriptListener;
  /** The local address to connect from. */
  localAddress?: string;
  /**
   * Allow mechanisms that send a password or bearer token readable on the wire
   * (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) over an unencrypted connection. Default false.
   */
  allowPlaintextAuth?: boolean;
}

/**
 * The EHLO argument used when none is given: a name the server can check.
 *
 * @param localAddress - the connection's local address
 * @returns a fully qualified host name or an address literal
 */
export function defaultClientName(localAddress: string | undefined): string {
  const hostname = os.hostname();
  if (hostname.includes('.') && isValidClientName(hostname)) return hostname;
  if (localAddress !== undefined && net.isIPv4(localAddress)) return `[${localAddress}]`;
  if (localAddress !== undefined && net.isIPv6(localAddress)) return `[IPv6:${localAddress}]`;
  return '[127.0.0.1]';
}
