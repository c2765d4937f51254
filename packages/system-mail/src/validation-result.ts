import type { LocalizedText } from './localized-text.js';
import type { SystemMailSettings } from './settings-types.js';

/** What a validation issue (error) is about; every rule has its own code. */
export type IssueCode =
  | 'unknown-key'
  | 'invalid-type'
  | 'invalid-choice'
  | 'address.required'
  | 'address.invalid'
  | 'display-name.invalid'
  | 'server-type.invalid'
  | 'server-id.required'
  | 'server-id.unknown'
  | 'account.required'
  | 'password.required'
  | 'password.reentry-required'
  | 'host.required'
  | 'host.invalid'
  | 'port.full-width-digits'
  | 'port.not-digits'
  | 'port.out-of-range'
  | 'encryption.invalid'
  | 'timeout.invalid'
  | 'auth.method-invalid'
  | 'auth.mechanism-invalid'
  | 'auth.exclusive'
  | 'auth.foreign-fields'
  | 'wait.invalid'
  | 'oauth.no-clients'
  | 'oauth.client-required'
  | 'oauth.client-unknown'
  | 'oauth.auth-not-allowed';

/** What a warning is about: accepted, but worth the administrator's attention. */
export type WarningCode =
  | 'smtp-password.plaintext'
  | 'pop-password.plaintext'
  | 'server-id.unknown'
  | 'oauth.client-unknown';

/** A field-addressed validation problem (or warning). */
export interface ValidationIssue<C extends string = IssueCode> {
  /** Dotted path of the settings field concerned, e.g. `server.smtp.port`; `''` for the whole input. */
  readonly path: string;
  /** Which rule; stable, for programs. */
  readonly code: C;
  /** The explanation for the administrator, in Japanese and English. Never contains a secret. */
  readonly message: LocalizedText;
}

/** A warning: the settings are accepted, but something deserves attention. */
export type ValidationWarning = ValidationIssue<WarningCode>;

/** Settings that passed validation, with the warnings found on the way. */
export interface ValidationSuccess {
  /** Discriminant. */
  readonly ok: true;
  /** The settings to store: defaults filled in, presets applied, kept passwords restored. */
  readonly settings: SystemMailSettings;
  /** Things worth the administrator's attention; the settings are valid nonetheless. */
  readonly warnings: readonly ValidationWarning[];
}

/** Settings that broke at least one rule. */
export interface ValidationFailure {
  /** Discriminant. */
  readonly ok: false;
  /** Every problem found, field by field. */
  readonly issues: readonly ValidationIssue[];
}

/** The outcome of {@link validateSettings} and {@link parseSettingsForm}. */
export type ValidationResult = ValidationSuccess | ValidationFailure;
