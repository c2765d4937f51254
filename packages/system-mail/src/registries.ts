import type { MailFeatureServer, OAuthClient } from './validation-context.js';

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
