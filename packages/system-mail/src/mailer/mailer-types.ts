import type { SmtpClientOptions } from '@sysmail/smtp-client';
import type { DeliveryReply, SystemMailError } from '../errors.js';
import type { SettingsStore } from '../settings-store.js';
import type { ValidationWarning } from '../validation-result.js';
import type { AccessTokenSource } from './access-token-source.js';

/** TLS settings for both the SMTP and the POP3 connection (CA to trust, minimum version…); verification stays on unless turned off here. */
export type SystemMailTlsOptions = NonNullable<SmtpClientOptions['tls']>;

/** One line of a delivery's transcript. Passwords, tokens and SASL payloads are already redacted. */
export interface SystemMailTranscriptEntry {
  /** Which connection the line belongs to: the POP before SMTP login, the SMTP session, or the mailer itself. */
  readonly protocol: 'pop3' | 'smtp' | 'mailer';
  /** Who said it. */
  readonly direction: 'client' | 'server' | 'info';
  /** The line, without its line ending. */
  readonly text: string;
}

/** Options of {@link createSystemMailer}. */
export interface SystemMailerOptions {
  /** The settings store; settings are read from it again for every send and connection test. */
  readonly store: SettingsStore;
  /** The clock for the Date header, in milliseconds since the epoch; default `Date.now`. */
  readonly clock?: () => number;
  /** Waits the POP before SMTP 送信までの待ち時間; default a real timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** OAuth tokens; default `createOAuthTokenProvider(store)` when the settings use OAuth. */
  readonly tokenProvider?: AccessTokenSource;
  /** TLS settings for the SMTP and POP3 connections (e.g. a private CA). */
  readonly tls?: SystemMailTlsOptions;
  /** Receives every transcript line as it happens, already redacted. */
  readonly onTranscript?: (entry: SystemMailTranscriptEntry) => void;
  /** The EHLO name; default the SMTP client's (this host's FQDN or an address literal). */
  readonly clientName?: string;
  /** The local address to connect from (POP before SMTP authorises the address that logged in). */
  readonly localAddress?: string;
  /** Aborts whatever is in flight. */
  readonly signal?: AbortSignal;
}

/** A notification to send from the system mail account. */
export interface SystemMailNotification {
  /** The recipients (To). */
  readonly to: string | readonly string[];
  /** Carbon-copy recipients. */
  readonly cc?: string | readonly string[];
  /** The subject, any Unicode text. */
  readonly subject: string;
  /** The plain-text body. */
  readonly text: string;
  /** An HTML alternative. */
  readonly html?: string;
  /** What kind of notification it is (`phone-memo`, `workflow`…), sent as the `X-Sysmail-Category` header. */
  readonly category?: string;
  /** Extra headers (e.g. `Reply-To`); see `composeMessage` for the reserved ones. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A recipient the server refused while others were accepted. */
export interface SystemMailRejectedRecipient {
  /** The address. */
  readonly address: string;
  /** The server's reply to its RCPT command. */
  readonly reply: DeliveryReply;
}

/** What {@link SystemMailer.send} reports. */
export interface SystemMailSendResult {
  /** The Message-ID of the sent message, angle brackets included. */
  readonly messageId: string;
  /** The recipients the server accepted. */
  readonly accepted: readonly string[];
  /** The recipients the server refused; the others got the message. */
  readonly rejected: readonly SystemMailRejectedRecipient[];
  /** Things about the settings worth the administrator's attention, e.g. a password sent in clear by their explicit choice. */
  readonly warnings: readonly ValidationWarning[];
  /** The redacted transcript of the POP3 and SMTP sessions. */
  readonly transcript: readonly SystemMailTranscriptEntry[];
}

/** What {@link SystemMailer.testConnection} reports. */
export interface SystemMailConnectionTestResult {
  /** True when every step (POP login, SMTP greeting, EHLO, STARTTLS, AUTH, QUIT) succeeded. */
  readonly ok: boolean;
  /** The redacted transcript of the sessions. */
  readonly transcript: readonly SystemMailTranscriptEntry[];
  /** Things about the settings worth the administrator's attention. */
  readonly warnings: readonly ValidationWarning[];
  /** Why the test failed, when it did (a delivery error with phase, transience and reply). */
  readonly error?: SystemMailError;
}

/** Sends notifications from the system mail account with whatever settings are stored at the time. */
export interface SystemMailer {
  /**
   * Composes the notification (From: the system mail address) and delivers it.
   *
   * @throws SystemMailDisabledError when the account is set to 使用しない.
   * @throws SystemMailConfigError when the stored settings are incomplete or invalid, or OAuth is 要認可.
   * @throws MessageCompositionError for an invalid address or header.
   * @throws SystemMailDeliveryError when a server refused or failed.
   */
  send(notification: SystemMailNotification): Promise<SystemMailSendResult>;
  /**
   * Runs the delivery path without sending: POP before SMTP login, SMTP
   * greeting, EHLO, STARTTLS and AUTH, then QUIT. Delivery failures are
   * reported in the result, not thrown.
   *
   * @throws SystemMailDisabledError when the account is set to 使用しない.
   * @throws SystemMailConfigError when the stored settings are incomplete or invalid, or OAuth is 要認可.
   */
  testConnection(): Promise<SystemMailConnectionTestResult>;
}
