import type { Encryption, TimeoutSeconds } from './settings-constants.js';
import type { OAuthProvider } from './oauth-presets.js';

/**
 * A registered OAuth client (OAuthクライアント). Every endpoint and host may be
 * overridden so that tests and private deployments can point elsewhere.
 */
export interface OAuthClient {
  /** The registry id that settings refer to. */
  readonly id: string;
  /** A name shown to the administrator. */
  readonly name?: string;
  /** Which provider's preset applies. */
  readonly provider: OAuthProvider;
  /** The client id issued by the provider. */
  readonly clientId: string;
  /** The client secret issued by the provider; encrypted at rest. */
  readonly clientSecret?: string;
  /** Microsoft tenant (directory id or domain); `common` when absent. */
  readonly tenant?: string;
  /** Overrides the provider's authorization endpoint. */
  readonly authorizeEndpoint?: string;
  /** Overrides the provider's token endpoint. */
  readonly tokenEndpoint?: string;
  /** Overrides the provider's SMTP host. */
  readonly smtpHost?: string;
  /** Overrides the provider's SMTP port. */
  readonly smtpPort?: number;
}

/** A server registered for the mail feature (メール用に設定したメールサーバー). */
export interface MailFeatureServer {
  /** The registry id that settings refer to. */
  readonly id: string;
  /** The name shown to the administrator. */
  readonly name: string;
  /** Its outgoing server. */
  readonly smtp: {
    /** Host name or IP address. */
    readonly host: string;
    /** Port. */
    readonly port: number;
    /** Encryption. */
    readonly encryption: Encryption;
    /** Timeout in seconds. */
    readonly timeoutSeconds: TimeoutSeconds;
  };
  /** True when the server requires SMTP authentication: account and password become required, unless it signs in with OAuth. */
  readonly smtpAuth: boolean;
  /** Id of the OAuth client the server signs in with, when it uses OAuth. */
  readonly oauthClient?: string;
}

/** What validation needs to know beyond the form: the registered OAuth clients and mail servers. */
export interface ValidationContext {
  /** Registered OAuth clients. */
  readonly oauthClients: readonly OAuthClient[];
  /** Servers registered for the mail feature. */
  readonly mailServers: readonly MailFeatureServer[];
}
