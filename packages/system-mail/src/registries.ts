import type { MailFeatureServer, OAuthClient, ValidationContext } from './validation-context.js';

/** The servers registered for the mail feature, which `mail-feature` settings refer to. */
export interface MailServerRegistry {
  /** Every registered server. */
  list(): Promise<readonly MailFeatureServer[]>;
  /** The server with this id, if registered. */
  get(id: string): Promise<MailFeatureServer | undefined>;
  /** Registers a server; an existing id is refused with a {@link SystemMailConfigError}. */
  add(server: MailFeatureServer): Promise<void>;
  /** Removes a server; returns false when there was none with this id. */
  remove(id: string): Promise<boolean>;
}

/** The registered OAuth clients (OAuthクライアント), which OAuth settings refer to. */
export interface OAuthClientRegistry {
  /** Every registered client, secrets included. */
  list(): Promise<readonly OAuthClient[]>;
  /** The client with this id, if registered. */
  get(id: string): Promise<OAuthClient | undefined>;
  /** Registers a client; an existing id is refused with a {@link SystemMailConfigError}. */
  add(client: OAuthClient): Promise<void>;
  /** Removes a client; returns false when there was none with this id. */
  remove(id: string): Promise<boolean>;
}

/** The two registries settings refer to; a {@link SettingsStore} is one (its registries are file-backed). */
export interface SettingsRegistries {
  /** The servers registered for the mail feature. */
  readonly mailServers: MailServerRegistry;
  /** The registered OAuth clients. */
  readonly oauthClients: OAuthClientRegistry;
}

/**
 * Reads the validation context from registries: the store's own, or an
 * application's (e.g. the mail feature's server list kept elsewhere), so that
 * {@link validateSettings} and {@link parseSettingsForm} check references
 * against what is really registered.
 *
 * @param registries - the mail-feature servers and OAuth clients.
 * @returns the context for validation.
 */
export async function validationContextOf(registries: SettingsRegistries): Promise<ValidationContext> {
  const [mailServers, oauthClients] = await Promise.all([registries.mailServers.list(), registries.oauthClients.list()]);
  return { mailServers, oauthClients };
}
