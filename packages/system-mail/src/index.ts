/**
 * `@sysmail/system-mail`: the application's system mail account
 * (システムメールアカウント) — its settings and their rules, the encrypted
 * settings store with the mail-server and OAuth-client registries, the
 * details view, and the MIME composer for notifications.
 *
 * @packageDocumentation
 */

export type { LocalizedText } from './localized-text.js';
export {
  SystemMailError,
  SystemMailDisabledError,
  SystemMailConfigError,
  SystemMailDeliveryError,
  SystemMailStoreError,
  MessageCompositionError,
  type DeliveryPhase,
  type DeliveryReply,
  type SystemMailDeliveryErrorInit,
  type StoreErrorReason,
  type CompositionErrorReason,
} from './errors.js';

export {
  TIMEOUT_CHOICES,
  SMTP_AUTH_MECHANISMS,
  ENCRYPTIONS,
  DEFAULT_SMTP_PORT,
  DEFAULT_POP_PORT,
  DEFAULT_SMTP_TIMEOUT_SECONDS,
  DEFAULT_POP_TIMEOUT_SECONDS,
  DEFAULT_POP_WAIT_SECONDS,
  MAX_POP_WAIT_SECONDS,
  DEFAULT_ENCRYPTION,
  type TimeoutSeconds,
  type SmtpAuthMechanism,
  type Encryption,
} from './settings-constants.js';
export type {
  SystemMailSettings,
  ServerSettings,
  MailFeatureServerSettings,
  DedicatedServerSettings,
  OAuthUsage,
  OAuthDisabled,
  OAuthEnabled,
  SmtpServerSettings,
  AuthSettings,
  NoAuth,
  SmtpAuthSettings,
  PopBeforeSmtpSettings,
  PopServerSettings,
} from './settings-types.js';
export {
  OAUTH_PRESETS,
  DEFAULT_MICROSOFT_TENANT,
  resolveOAuthClient,
  type OAuthProvider,
  type OAuthPreset,
  type ResolvedOAuthClient,
} from './oauth-presets.js';
export type { OAuthClient, MailFeatureServer, ValidationContext } from './validation-context.js';
export type {
  IssueCode,
  WarningCode,
  ValidationIssue,
  ValidationWarning,
  ValidationSuccess,
  ValidationFailure,
  ValidationResult,
} from './validation-result.js';
export { FIELD_LABELS } from './field-labels.js';
export { isValidMailbox } from './mailbox-syntax.js';
export { isValidHost } from './host-syntax.js';
export { validateSettings } from './validate-settings.js';
export {
  SETTINGS_FORM_FIELDS,
  parseSettingsForm,
  settingsToForm,
  type SettingsFormField,
  type SettingsForm,
} from './settings-form.js';

export {
  oauthAccountOf,
  oauthStateAfterSave,
  oauthStatusOf,
  type OAuthAuthorizationStatus,
  type OAuthTokenState,
  type OAuthAccountRef,
} from './oauth-status.js';
export {
  describeSettings,
  type SettingsDetails,
  type SettingsDetailItem,
  type OAuthDetails,
} from './describe-settings.js';
export { validationContextOf, type MailServerRegistry, type OAuthClientRegistry, type SettingsRegistries } from './registries.js';
export {
  openSettingsStore,
  defaultStorePath,
  type SettingsStore,
  type SettingsStoreOptions,
  type SettingsSnapshot,
} from './settings-store.js';

export { composeMessage, type ComposeMessageInput, type ComposedMessage } from './compose-message.js';
export type { Mailbox } from './address-header.js';

export {
  beginAuthorization,
  completeAuthorization,
  DEFAULT_REDIRECT_URI,
  DEFAULT_TOKEN_TIMEOUT_MS,
  type BeginAuthorizationOptions,
  type BegunAuthorization,
  type CompleteAuthorizationOptions,
  type CompletedAuthorization,
} from './oauth/authorization-flow.js';
export {
  startLoopbackRedirectListener,
  DEFAULT_LOOPBACK_TIMEOUT_MS,
  type LoopbackRedirectListener,
  type LoopbackRedirectListenerOptions,
} from './oauth/loopback-redirect-listener.js';
export { authorizeInteractively, type InteractiveAuthorizationOptions } from './oauth/interactive-authorization.js';
export {
  createOAuthTokenProvider,
  DEFAULT_REFRESH_MARGIN_MS,
  type OAuthTokenProvider,
  type OAuthTokenProviderOptions,
  type OAuthAccessToken,
} from './oauth/token-provider.js';
export { SystemMailOAuthError, type OAuthFailureReason } from './oauth/oauth-errors.js';
export { PENDING_AUTHORIZATION_LIFETIME_MS } from './oauth/pending-authorizations.js';

export { createSystemMailer } from './mailer/create-system-mailer.js';
export type {
  SystemMailer,
  SystemMailerOptions,
  SystemMailNotification,
  SystemMailSendResult,
  SystemMailConnectionTestResult,
  SystemMailRejectedRecipient,
  SystemMailTranscriptEntry,
  SystemMailTlsOptions,
} from './mailer/mailer-types.js';
export type { AccessToken, AccessTokenSource } from './mailer/access-token-source.js';
export { runCli } from './cli/run-cli.js';
export type { CliIo } from './cli/cli-context.js';
export type { CliWriter } from './cli/cli-output.js';
export type { PromptInput } from './cli/secret-prompt.js';
export { EXIT_CODES, type ExitCode } from './cli/exit-codes.js';
