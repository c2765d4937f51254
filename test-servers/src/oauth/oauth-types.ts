/** Which identity provider the fake server imitates for a client: endpoints, token shapes and error texts. */
export type OAuthFlavour = 'google' | 'microsoft';

/** An OAuth client (an "app registration") the fake server knows. */
export interface OAuthClientRegistration {
  /** The `client_id` the client sends. */
  readonly clientId: string;
  /**
   * The secret of a confidential client, checked at the token endpoint (form body or HTTP Basic).
   * Absent for a public client (a desktop or CLI app), which then relies on PKCE alone.
   */
  readonly clientSecret?: string;
  /**
   * Registered redirect URIs, matched exactly; a loopback `http://127.0.0.1/…`, `http://[::1]/…` or
   * `http://localhost/…` URI matches on any port (RFC 8252 §7.3), as both providers allow.
   */
  readonly redirectUris: readonly string[];
  /** Which provider this client is registered with: decides token shapes and error descriptions. */
  readonly flavour: OAuthFlavour;
  /** Microsoft-style refresh token rotation: each refresh returns a new refresh token and retires the old one. */
  readonly rotateRefreshTokens?: boolean;
}

/** What the simulated user is asked to consent to, handed to a consent function. */
export interface ConsentRequest {
  /** The requesting client. */
  readonly clientId: string;
  /** The client's flavour. */
  readonly flavour: OAuthFlavour;
  /** The requested scopes, in request order. */
  readonly scopes: readonly string[];
  /** The account that would be authorized. */
  readonly account: string;
  /** The `login_hint` parameter, if any. */
  readonly loginHint: string | undefined;
  /** The `prompt` parameter, if any. */
  readonly prompt: string | undefined;
}

/** The simulated user's answer to a consent screen. */
export type ConsentDecision = 'grant' | 'deny';

/** Options of {@link startFakeOAuthServer}. */
export interface FakeOAuthServerOptions {
  /** Port to listen on, on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** The account the simulated user signs in with; default `notify@example.com`. */
  readonly account?: string;
  /**
   * How the simulated user answers the consent screen: `grant` (default), `deny`, or a function deciding
   * per request. A `consent=grant|deny` query parameter on the authorization request overrides it.
   */
  readonly consent?: ConsentDecision | ((request: ConsentRequest) => ConsentDecision);
  /** Clients registered from the start (more can be added with `registerClient`). */
  readonly clients?: readonly OAuthClientRegistration[];
  /** Access token lifetime in seconds (`expires_in`); default 3600. */
  readonly accessTokenLifetimeSeconds?: number;
  /** Authorization code lifetime in seconds; default 600, as both providers roughly use. */
  readonly authorizationCodeLifetimeSeconds?: number;
  /**
   * A refresh token unused for this many seconds expires (Microsoft's inactivity expiry, `AADSTS700082`);
   * default 90 days.
   */
  readonly refreshTokenIdleLifetimeSeconds?: number;
  /** The server's clock in milliseconds since the epoch; default `Date.now`. Inject one to expire tokens without sleeping. */
  readonly now?: () => number;
  /** Called with each request log entry as it is recorded (secrets already redacted), e.g. to print it. */
  readonly onRequest?: (entry: OAuthRequestLogEntry) => void;
}

/** Outcome of {@link FakeOAuthServer.verifyAccessToken}. */
export type AccessTokenVerdict =
  | {
      /** The token is live. */
      readonly valid: true;
      /** The account it was issued for. */
      readonly account: string;
      /** The granted scope, space-separated. */
      readonly scope: string;
      /** The client it was issued to. */
      readonly clientId: string;
    }
  | {
      /** The token must be refused. */
      readonly valid: false;
      /** Why: past its lifetime, never issued, or its grant was revoked. */
      readonly reason: 'expired' | 'unknown' | 'revoked';
    };

/**
 * A verifier for the fake SMTP/POP3 servers' XOAUTH2 hook: `true` to accept, or the provider's JSON error
 * object to send as the XOAUTH2 error challenge before the final failure reply.
 */
export type XOAuth2TokenVerifier = (username: string, token: string) => true | XOAuth2Rejection;

/** A refused XOAUTH2 token. */
export interface XOAuth2Rejection {
  /** The provider's JSON error, e.g. `{ status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' }`. */
  readonly error: object;
}

/** One request the fake server received, with every secret replaced by `[redacted]`. */
export interface OAuthRequestLogEntry {
  /** When it arrived, by the server's clock (ms since the epoch). */
  readonly at: number;
  /** HTTP method. */
  readonly method: string;
  /** Request path without the query. */
  readonly path: string;
  /** Which endpoint served it. */
  readonly endpoint: 'authorize' | 'token' | 'unknown';
  /** Query (authorize) or form (token) parameters, secrets redacted. */
  readonly params: Readonly<Record<string, string>>;
  /** HTTP status answered. */
  readonly status: number;
  /** The OAuth error answered, if any (`invalid_grant`, `access_denied`, …). */
  readonly error?: string;
}

/** The endpoint URLs of one provider flavour. */
export interface OAuthEndpoints {
  /** Authorization endpoint (opened in the user's browser). */
  readonly authorize: string;
  /** Token endpoint (POSTed to by the client). */
  readonly token: string;
}

/** Endpoint URLs to configure a client with, per flavour. */
export interface FakeOAuthUrls {
  /** Google-style endpoints (`/o/oauth2/v2/auth`, `/token`). */
  readonly google: OAuthEndpoints;
  /**
   * Microsoft identity platform v2.0 endpoints for a tenant (`common`, `organizations`, a domain or a
   * tenant id; default `common`).
   */
  readonly microsoft: (tenant?: string) => OAuthEndpoints;
}

/** Counters tests use to prove how many requests a client made. */
export interface FakeOAuthCounters {
  /** Requests received by the token endpoint, whatever their outcome. */
  readonly tokenRequests: number;
  /** `grant_type=refresh_token` requests received, whatever their outcome. */
  readonly refreshCount: number;
  /** Authorization codes issued by the authorization endpoint. */
  readonly authorizationCodesIssued: number;
}

/** A running fake OAuth 2.0 authorization server imitating Google and the Microsoft identity platform. */
export interface FakeOAuthServer extends FakeOAuthCounters {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** Base URL, `http://127.0.0.1:{port}`. */
  readonly url: string;
  /** Endpoint URLs per flavour. */
  readonly urls: FakeOAuthUrls;
  /** The requests received so far (the latest 10,000), in order, secrets redacted. */
  readonly requestLog: readonly OAuthRequestLogEntry[];
  /**
   * Registers (or replaces) a client.
   *
   * @throws TypeError when a redirect URI is not an absolute URL or none is given
   */
  registerClient(client: OAuthClientRegistration): void;
  /** Revokes a refresh token and the access tokens of its grant; returns false when the token is unknown. */
  revokeRefreshToken(refreshToken: string): boolean;
  /** Revokes every grant (refresh and access tokens) of an account, as a password reset does; returns how many. */
  revokeAllFor(account: string): number;
  /** Makes every access token issued so far expired, as if their lifetime had passed. */
  expireAccessTokens(): void;
  /** Tells whether an access token is live, and for whom. */
  verifyAccessToken(accessToken: string): AccessTokenVerdict;
  /**
   * A verifier for the fake mail servers' `auth.verifyToken` hook: accepts a live token issued for that
   * username (case-insensitively) and, when `scope` is given, granting it.
   *
   * @param scope - the scope the mail server requires, also named in the error object
   */
  xoauth2Verifier(scope?: string): XOAuth2TokenVerifier;
  /** Stops listening and closes every connection, keep-alive ones included; idempotent. */
  close(): Promise<void>;
}
