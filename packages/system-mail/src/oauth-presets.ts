import type { Encryption } from './settings-constants.js';
import type { OAuthClient } from './validation-context.js';

/** The OAuth providers the manual supports: Gmail (google) and Exchange Online (microsoft). */
export type OAuthProvider = 'google' | 'microsoft';

/** What a provider fixes for sending: the SMTP server and the OAuth endpoints. */
export interface OAuthPreset {
  /** The provider's name as the administrator knows it. */
  readonly label: string;
  /** The sign-in button's text on the details screen. */
  readonly signInLabel: string;
  /** SMTP host. */
  readonly smtpHost: string;
  /** SMTP port. */
  readonly smtpPort: number;
  /** SMTP encryption. */
  readonly encryption: Encryption;
  /** Authorization endpoint; `{tenant}` is replaced by the client's tenant. */
  readonly authorizeEndpoint: string;
  /** Token endpoint; `{tenant}` is replaced by the client's tenant. */
  readonly tokenEndpoint: string;
  /** Scopes requested, space-separated. */
  readonly scope: string;
}

/** The presets of the supported providers; an {@link OAuthClient} may override any endpoint or host. */
export const OAUTH_PRESETS: { readonly [P in OAuthProvider]: OAuthPreset } = {
  google: {
    label: 'Gmail',
    signInLabel: 'Sign in with Google',
    smtpHost: 'smtp.gmail.com',
    smtpPort: 465,
    encryption: 'tls',
    authorizeEndpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenEndpoint: 'https://oauth2.googleapis.com/token',
    scope: 'https://mail.google.com/',
  },
  microsoft: {
    label: 'Exchange Online',
    signInLabel: 'Sign in with Microsoft',
    smtpHost: 'smtp.office365.com',
    smtpPort: 587,
    encryption: 'starttls',
    authorizeEndpoint: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize',
    tokenEndpoint: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
    scope: 'https://outlook.office.com/SMTP.Send offline_access',
  },
};

/** The tenant used for Microsoft clients that name none. */
export const DEFAULT_MICROSOFT_TENANT = 'common';

/** A client's effective SMTP server and endpoints: its overrides over its provider's preset. */
export interface ResolvedOAuthClient {
  /** The provider's preset the client is based on. */
  readonly preset: OAuthPreset;
  /** SMTP host to send through. */
  readonly smtpHost: string;
  /** SMTP port to send through. */
  readonly smtpPort: number;
  /** SMTP encryption (always the preset's). */
  readonly encryption: Encryption;
  /** Authorization endpoint, tenant substituted. */
  readonly authorizeEndpoint: string;
  /** Token endpoint, tenant substituted. */
  readonly tokenEndpoint: string;
  /** Scopes to request. */
  readonly scope: string;
}

/**
 * Applies a client's overrides to its provider's preset.
 *
 * @param client - a registered OAuth client.
 * @returns the endpoints and SMTP server the client sends through.
 */
export function resolveOAuthClient(client: OAuthClient): ResolvedOAuthClient {
  const preset = OAUTH_PRESETS[client.provider];
  const tenant = encodeURIComponent(client.tenant ?? DEFAULT_MICROSOFT_TENANT);
  const withTenant = (url: string): string => url.replaceAll('{tenant}', tenant);
  return {
    preset,
    smtpHost: client.smtpHost ?? preset.smtpHost,
    smtpPort: client.smtpPort ?? preset.smtpPort,
    encryption: preset.encryption,
    authorizeEndpoint: withTenant(client.authorizeEndpoint ?? preset.authorizeEndpoint),
    tokenEndpoint: withTenant(client.tokenEndpoint ?? preset.tokenEndpoint),
    scope: preset.scope,
  };
}
