/* The fake OAuth 2.0 authorization server imitating Google and the Microsoft identity platform. */
export { startFakeOAuthServer } from './fake-oauth-server.js';
export type {
  AccessTokenVerdict,
  ConsentDecision,
  ConsentRequest,
  FakeOAuthCounters,
  FakeOAuthServer,
  FakeOAuthServerOptions,
  FakeOAuthUrls,
  OAuthClientRegistration,
  OAuthEndpoints,
  OAuthFlavour,
  OAuthRequestLogEntry,
  XOAuth2Rejection,
  XOAuth2TokenVerifier,
} from './oauth-types.js';
