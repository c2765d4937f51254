/** An OAuth access token and the account it was issued for, as XOAUTH2 / OAUTHBEARER need them. */
export interface AccessToken {
  /** The bearer token. Never logged: the SMTP client registers it as a transcript secret. */
  readonly token: string;
  /** The SASL user name: the mailbox the token belongs to. */
  readonly username: string;
}

/**
 * Where the mailer gets OAuth access tokens. The package's own
 * `createOAuthTokenProvider(store)` satisfies it; tests and applications with
 * their own token management can pass anything of this shape.
 */
export interface AccessTokenSource {
  /** A token believed to be valid (refreshed by the source when it is about to expire). */
  getAccessToken(): Promise<AccessToken>;
  /**
   * A newly refreshed token, whatever the current one's expiry: used once after the server refused a token.
   *
   * @param refused - the token the server refused. A source that already holds another one (a simultaneous
   *   send refreshed it meanwhile) may return that instead of refreshing again.
   */
  forceRefresh(refused?: AccessToken): Promise<AccessToken>;
  /**
   * Marks a token as refused by a server, when the source tracks that.
   *
   * @param refused - the refused token; default the one last handed out.
   */
  invalidate?(refused?: AccessToken): void;
}
