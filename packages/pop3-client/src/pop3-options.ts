import type { PhaseTimeouts, TranscriptListener, WireTlsOptions } from '@sysmail/wire';

/** The phases that have their own total deadline, in milliseconds. */
export type Pop3TimeoutPhase = 'connect' | 'greeting' | 'command' | 'data';

/**
 * The default deadlines, in milliseconds: 30 s to connect (TCP and, for
 * implicit TLS, the handshake), 30 s for the greeting, 60 s for any command's
 * status line (an STLS handshake and a whole SASL exchange each count as one
 * step), and 10 minutes for a whole multi-line response (RETR, TOP, LIST, UIDL, CAPA).
 */
export const DEFAULT_POP3_TIMEOUTS: Readonly<Record<Pop3TimeoutPhase, number>> = Object.freeze({
  connect: 30_000,
  greeting: 30_000,
  command: 60_000,
  data: 600_000,
});

/** The default limit on a message read into memory by `retrieve` / `top` / `retrieveMany`: 256 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/**
 * How the connection is protected:
 *
 * - `none`: plaintext; passwords in clear are then refused unless `allowPlaintextAuth`.
 * - `starttls`: plaintext, then STLS (RFC 2595) before anything else; fails if the server does not offer or refuses it.
 * - `tls`: TLS from the first byte (POP3S, port 995).
 */
export type Pop3Security = 'none' | 'starttls' | 'tls';

/** Options of {@link Pop3Client.connect}. */
export interface Pop3ConnectOptions {
  /** The server's host name or IP address. */
  host: string;
  /** The TCP port; default 110, or 995 for `security: 'tls'`. */
  port?: number;
  /** How the connection is protected; default `starttls`, so no password ever crosses an unprotected link by default. */
  security?: Pop3Security;
  /** Total deadlines per phase in milliseconds, or one number for all; see {@link DEFAULT_POP3_TIMEOUTS}. */
  timeouts?: PhaseTimeouts<Pop3TimeoutPhase>;
  /** TLS settings (CA, server name, minimum version); certificate verification is on unless `rejectUnauthorized: false`. */
  tls?: WireTlsOptions;
  /** Aborts the connection and whatever is in flight when it fires. */
  signal?: AbortSignal;
  /** Receives every line sent and received, with the password, the APOP digest and SASL payloads redacted, and TLS details. */
  onTranscript?: TranscriptListener;
  /** The local address to connect from (POP-before-SMTP relays authorise by source address). */
  localAddress?: string;
  /**
   * Allow a password or bearer token in clear (USER/PASS, SASL PLAIN, LOGIN, XOAUTH2, OAUTHBEARER)
   * on an unencrypted connection. Default false: such a login is refused before any byte is sent.
   */
  allowPlaintextAuth?: boolean;
  /** The largest message `retrieve`, `top` and `retrieveMany` hold in memory; default {@link DEFAULT_MAX_MESSAGE_BYTES}. Use `retrieveStream` beyond it. */
  maxMessageBytes?: number;
}

/** How {@link Pop3Client.login} authenticates. */
export type Pop3LoginMethod = 'auto' | 'user' | 'apop' | 'sasl';

/** A username and password login. */
export interface Pop3PasswordLogin {
  /** The mailbox name. */
  username: string;
  /** The password (also the APOP shared secret). */
  password: string;
  /**
   * `auto` (default): the strongest SASL mechanism the server offers, else APOP when the
   * greeting has a valid timestamp, else USER/PASS. Or force `user`, `apop` or `sasl`.
   */
  method?: Pop3LoginMethod;
  /** The SASL mechanism to use with `method: 'sasl'` (default: the strongest offered). */
  mechanism?: string;
}

/** An OAuth 2.0 login through SASL XOAUTH2 or OAUTHBEARER. */
export interface Pop3TokenLogin {
  /** The mailbox name the token was issued for. */
  username: string;
  /** The OAuth 2.0 access token. */
  accessToken: string;
  /** Only `auto` or `sasl` make sense with a token. */
  method?: 'auto' | 'sasl';
  /** `XOAUTH2` or `OAUTHBEARER` (default: whichever the server offers, XOAUTH2 first). */
  mechanism?: string;
}

/** What {@link Pop3Client.login} accepts. */
export type Pop3LoginOptions = Pop3PasswordLogin | Pop3TokenLogin;
