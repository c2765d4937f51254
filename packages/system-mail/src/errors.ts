import type { LocalizedText } from './localized-text.js';
import type { ValidationIssue } from './validation-result.js';

/**
 * Base class of every error thrown by `@sysmail/system-mail`. `message` is the
 * English text so that logs stay readable; `messages` carries both languages
 * for the administrator's screen.
 */
export class SystemMailError extends Error {
  /** The message in Japanese and English. */
  readonly messages: LocalizedText;

  /**
   * Creates the error from its two-language message.
   *
   * @param messages - the message in both languages; `message` is set from `en`.
   * @param options - standard error options (`cause`).
   */
  constructor(messages: LocalizedText, options?: ErrorOptions) {
    super(messages.en, options);
    this.name = new.target.name;
    this.messages = messages;
  }
}

/** Thrown when a notification is sent while the system mail account is set to "don't use". */
export class SystemMailDisabledError extends SystemMailError {
  /**
   * Creates the error with its fixed message.
   *
   * @param options - standard error options.
   */
  constructor(options?: ErrorOptions) {
    super(
      {
        ja: 'システムメールアカウントが「使用しない」に設定されています。',
        en: 'The system mail account is not in use.',
      },
      options,
    );
  }
}

/** Thrown when settings (or a registry entry) break the rules; `issues` says which fields. */
export class SystemMailConfigError extends SystemMailError {
  /** The field-addressed problems, when the error comes from validation. */
  readonly issues: readonly ValidationIssue[] | undefined;

  /**
   * Creates the error from a summary and the issues behind it.
   *
   * @param messages - a summary in both languages.
   * @param issues - the validation issues behind the error, if any.
   * @param options - standard error options.
   */
  constructor(messages: LocalizedText, issues?: readonly ValidationIssue[], options?: ErrorOptions) {
    super(messages, options);
    this.issues = issues;
  }
}

/**
 * Where a delivery failed: composing the message, obtaining an OAuth token,
 * the POP before SMTP login, or one of the SMTP client's phases.
 */
export type DeliveryPhase =
  | 'compose'
  | 'oauth'
  | 'pop-before-smtp'
  | 'connect'
  | 'greeting'
  | 'ehlo'
  | 'starttls'
  | 'auth'
  | 'mail'
  | 'rcpt'
  | 'data'
  | 'quit';

/** A server's answer attached to a delivery error (SMTP reply or POP3 response). */
export interface DeliveryReply {
  /** The SMTP reply code (e.g. 550); absent for POP3 responses, which have none. */
  readonly code?: number;
  /** The RFC 3463 enhanced status code, when the server sent one (e.g. `5.7.8`). */
  readonly enhancedCode?: string;
  /** The reply's text lines, without the code. */
  readonly lines: readonly string[];
}

/** Constructor fields of {@link SystemMailDeliveryError}. */
export interface SystemMailDeliveryErrorInit {
  /** Where the delivery failed. */
  readonly phase: DeliveryPhase;
  /** True when retrying later may succeed (4xx replies, timeouts, resets). */
  readonly transient: boolean;
  /** The server's answer, when it gave one. */
  readonly reply?: DeliveryReply;
  /** The message in both languages. */
  readonly messages: LocalizedText;
  /** The underlying client error. */
  readonly cause?: unknown;
}

/** Thrown when a notification could not be delivered; wraps the SMTP / POP3 clients' errors. */
export class SystemMailDeliveryError extends SystemMailError {
  /** Where the delivery failed. */
  readonly phase: DeliveryPhase;
  /** True when retrying later may succeed. */
  readonly transient: boolean;
  /** The server's answer, when it gave one. */
  readonly reply: DeliveryReply | undefined;

  /**
   * Creates the error from where and how the delivery failed.
   *
   * @param init - phase, transience, reply, message and cause.
   */
  constructor(init: SystemMailDeliveryErrorInit) {
    super(init.messages, init.cause === undefined ? undefined : { cause: init.cause });
    this.phase = init.phase;
    this.transient = init.transient;
    this.reply = init.reply;
  }
}

/** Why the settings store refused to read or write. */
export type StoreErrorReason =
  | 'wrong-key'
  | 'tampered'
  | 'corrupt'
  | 'key-invalid'
  | 'key-missing'
  | 'io';

/** Thrown by the settings store: wrong key, tampered or corrupt file, I/O failure. Never carries a secret. */
export class SystemMailStoreError extends SystemMailError {
  /** The kind of failure. */
  readonly reason: StoreErrorReason;

  /**
   * Creates the error from its reason and message.
   *
   * @param reason - the kind of failure.
   * @param messages - the message in both languages.
   * @param options - standard error options.
   */
  constructor(reason: StoreErrorReason, messages: LocalizedText, options?: ErrorOptions) {
    super(messages, options);
    this.reason = reason;
  }
}

/** Why a message could not be composed. */
export type CompositionErrorReason =
  | 'header-injection'
  | 'header-name-invalid'
  | 'header-reserved'
  | 'address-invalid'
  | 'recipient-required'
  | 'message-id-invalid';

/** Thrown by {@link composeMessage} for input that would make an unsafe or invalid message. */
export class MessageCompositionError extends SystemMailError {
  /** The kind of problem. */
  readonly reason: CompositionErrorReason;

  /**
   * Creates the error from its reason and message.
   *
   * @param reason - the kind of problem.
   * @param messages - the message in both languages.
   */
  constructor(reason: CompositionErrorReason, messages: LocalizedText) {
    super(messages);
    this.reason = reason;
  }
}
