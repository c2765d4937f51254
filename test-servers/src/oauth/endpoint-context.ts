import type { ConsentDecision, ConsentRequest, OAuthClientRegistration } from './oauth-types.js';
import type { TokenStore } from './token-store.js';

/** What the endpoints share with the server that hosts them. */
export interface EndpointContext {
  readonly clients: ReadonlyMap<string, OAuthClientRegistration>;
  readonly store: TokenStore;
  readonly account: string;
  readonly consent: ConsentDecision | ((request: ConsentRequest) => ConsentDecision);
  readonly now: () => number;
  readonly accessTokenLifetimeSeconds: number;
  readonly idTokenSigningKey: Buffer;
  /** Counts an issued authorization code. */
  readonly codeIssued: () => void;
  /** Counts a `grant_type=refresh_token` request. */
  readonly refreshRequested: () => void;
}

/** An HTTP answer produced by an endpoint, written out by the server. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The OAuth error answered, for the request log. */
  readonly error?: string;
}

/** The value of a parameter given exactly once; `null` when it is repeated (RFC 6749 §3.1 forbids that). */
export function singleParam(params: URLSearchParams, name: string): string | undefined | null {
  const values = params.getAll(name);
  if (values.length > 1) return null;
  return values[0];
}
