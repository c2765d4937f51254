import { randomBytes } from 'node:crypto';
import type { AccessTokenVerdict, OAuthFlavour } from './oauth-types.js';
import type { TokenFailure } from './provider-errors.js';
import { verifierMatchesS256Challenge } from './pkce.js';
import { registerTestSecret } from '../test-secrets.js';

/** One user's consent to one client for a scope; every token issued from it dies with it. */
export interface Grant {
  readonly clientId: string;
  readonly flavour: OAuthFlavour;
  readonly account: string;
  readonly scope: string;
  /** Whether a refresh token comes with the tokens (Google `access_type=offline`, Microsoft `offline_access`). */
  readonly offline: boolean;
  readonly nonce: string | undefined;
  revoked: boolean;
}

interface AuthorizationCode {
  readonly grant: Grant;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly expiresAt: number;
  redeemed: boolean;
  /** The grant whose tokens a replay of this code revokes (RFC 6749 §4.1.2). */
  issued: Grant | undefined;
}

interface RefreshToken {
  readonly grant: Grant;
  readonly issuedAt: number;
  lastUsedAt: number;
  retired: boolean;
}

interface AccessToken {
  readonly grant: Grant;
  readonly scope: string;
  expiresAt: number;
}

/** Tokens issued by one successful token request. */
export interface IssuedTokens {
  readonly grant: Grant;
  readonly accessToken: string;
  readonly scope: string;
  readonly refreshToken: string | undefined;
}

/** Lifetimes and clock of a {@link TokenStore}. */
export interface TokenStoreSettings {
  readonly now: () => number;
  readonly accessTokenLifetimeSeconds: number;
  readonly authorizationCodeLifetimeSeconds: number;
  readonly refreshTokenIdleLifetimeSeconds: number;
}

function randomToken(prefix: string, bytes: number): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

const PREFIXES: Record<OAuthFlavour, { code: string; access: string; refresh: string }> = {
  google: { code: '4/0A', access: 'ya29.', refresh: '1//0' },
  microsoft: { code: '0.AX', access: 'EwB', refresh: '0.AR' },
};

/**
 * Every authorization code, access token and refresh token the fake server issued, with the rules that
 * redeem, refresh, expire and revoke them. It holds no I/O: the endpoints translate its outcomes into HTTP.
 */
export class TokenStore {
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly accessTokens = new Map<string, AccessToken>();

  constructor(private readonly settings: TokenStoreSettings) {}

  /** Issues a single-use authorization code bound to the client, redirect URI and PKCE challenge. */
  issueCode(grant: Grant, redirectUri: string, codeChallenge: string): string {
    const code = randomToken(PREFIXES[grant.flavour].code, 32);
    registerTestSecret('OAuth authorization code', code);
    this.codes.set(code, {
      grant,
      redirectUri,
      codeChallenge,
      expiresAt: this.settings.now() + this.settings.authorizationCodeLifetimeSeconds * 1000,
      redeemed: false,
      issued: undefined,
    });
    return code;
  }

  /**
   * Redeems a code. Any failed attempt on a known code consumes it too, so a stolen code cannot be tried
   * against guessed verifiers; a replay of a redeemed code revokes the tokens it produced.
   */
  redeemCode(code: string, clientId: string, redirectUri: string, codeVerifier: string): IssuedTokens | TokenFailure {
    const record = this.codes.get(code);
    if (!record) return { kind: 'code-unknown' };
    if (record.redeemed) {
      if (record.issued) record.issued.revoked = true;
      return { kind: 'code-redeemed' };
    }
    record.redeemed = true;
    if (this.settings.now() >= record.expiresAt) return { kind: 'code-expired' };
    if (record.grant.clientId !== clientId) return { kind: 'code-other-client' };
    if (record.redirectUri !== redirectUri) return { kind: 'redirect-uri-mismatch', redirectUri };
    if (!verifierMatchesS256Challenge(codeVerifier, record.codeChallenge)) return { kind: 'code-verifier-mismatch' };
    record.issued = record.grant;
    return this.issue(record.grant, record.grant.scope, record.grant.offline);
  }

  /** Exchanges a refresh token for a new access token, and a new refresh token when the client rotates them. */
  refresh(refreshToken: string, clientId: string, requestedScope: string | undefined, rotate: boolean): IssuedTokens | TokenFailure {
    const record = this.refreshTokens.get(refreshToken);
    if (!record) return { kind: 'refresh-token-unknown' };
    if (record.grant.revoked) return { kind: 'refresh-token-revoked' };
    if (record.retired) return { kind: 'refresh-token-rotated' };
    if (record.grant.clientId !== clientId) return { kind: 'refresh-token-other-client' };
    const now = this.settings.now();
    const idleSeconds = (now - record.lastUsedAt) / 1000;
    if (idleSeconds >= this.settings.refreshTokenIdleLifetimeSeconds) {
      return { kind: 'refresh-token-idle', issuedAt: record.issuedAt, idleSeconds };
    }
    let scope = record.grant.scope;
    if (requestedScope !== undefined) {
      const granted = new Set(record.grant.scope.split(' '));
      const extra = requestedScope.split(' ').find((s) => s !== '' && !granted.has(s));
      if (extra !== undefined) return { kind: 'scope-not-granted', scope: extra };
      scope = requestedScope.split(' ').filter((s) => s !== '').join(' ');
    }
    record.lastUsedAt = now;
    if (rotate) record.retired = true;
    return this.issue(record.grant, scope, rotate);
  }

  private issue(grant: Grant, scope: string, withRefreshToken: boolean): IssuedTokens {
    const now = this.settings.now();
    const accessToken = randomToken(PREFIXES[grant.flavour].access, 48);
    registerTestSecret('OAuth access token', accessToken);
    this.accessTokens.set(accessToken, { grant, scope, expiresAt: now + this.settings.accessTokenLifetimeSeconds * 1000 });
    let refreshToken: string | undefined;
    if (withRefreshToken) {
      refreshToken = randomToken(PREFIXES[grant.flavour].refresh, 48);
      registerTestSecret('OAuth refresh token', refreshToken);
      this.refreshTokens.set(refreshToken, { grant, issuedAt: now, lastUsedAt: now, retired: false });
    }
    return { grant, accessToken, scope, refreshToken };
  }

  /** Revokes a refresh token's grant, and so every token issued from it; false when the token is unknown. */
  revokeRefreshToken(refreshToken: string): boolean {
    const record = this.refreshTokens.get(refreshToken);
    if (!record) return false;
    record.grant.revoked = true;
    return true;
  }

  /** Revokes every grant of an account (compared case-insensitively); returns how many were live. */
  revokeAllFor(account: string): number {
    const grants = new Set<Grant>();
    for (const record of [...this.refreshTokens.values(), ...this.accessTokens.values()]) {
      if (!record.grant.revoked && record.grant.account.toLowerCase() === account.toLowerCase()) grants.add(record.grant);
    }
    for (const grant of grants) grant.revoked = true;
    return grants.size;
  }

  /** Makes every access token issued so far expired. */
  expireAccessTokens(): void {
    const now = this.settings.now();
    for (const record of this.accessTokens.values()) record.expiresAt = Math.min(record.expiresAt, now);
  }

  /** Tells whether an access token is live. */
  verifyAccessToken(accessToken: string): AccessTokenVerdict & { flavour?: OAuthFlavour } {
    const record = this.accessTokens.get(accessToken);
    if (!record) return { valid: false, reason: 'unknown' };
    if (record.grant.revoked) return { valid: false, reason: 'revoked', flavour: record.grant.flavour };
    if (this.settings.now() >= record.expiresAt) return { valid: false, reason: 'expired', flavour: record.grant.flavour };
    return {
      valid: true,
      account: record.grant.account,
      scope: record.scope,
      clientId: record.grant.clientId,
      flavour: record.grant.flavour,
    };
  }
}
