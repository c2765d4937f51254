import { isWellFormed } from './bytes.js';
import { SaslError } from './sasl-error.js';
import type { PasswordCredentials, SaslCredentials, TokenCredentials } from './types.js';

/** Narrows to password credentials. */
export function isPasswordCredentials(credentials: SaslCredentials): credentials is PasswordCredentials {
  return typeof (credentials as Partial<PasswordCredentials>).password === 'string';
}

/** Narrows to token credentials. */
export function isTokenCredentials(credentials: SaslCredentials): credentials is TokenCredentials {
  return typeof (credentials as Partial<TokenCredentials>).accessToken === 'string';
}

/** Checks that a credential string can be encoded faithfully and, when asked, is non-empty and free of `forbidden`. */
export function checkCredentialText(value: string, what: string, options: { nonEmpty?: boolean; forbidden?: RegExp } = {}): void {
  if (!isWellFormed(value)) throw new SaslError('invalid-credentials', `the ${what} is not well-formed Unicode`);
  if (options.nonEmpty === true && value === '') throw new SaslError('invalid-credentials', `the ${what} is empty`);
  if (options.forbidden?.test(value) === true) {
    throw new SaslError('invalid-credentials', `the ${what} contains a character the mechanism cannot carry`);
  }
}

/** The password credentials a mechanism needs, or a SaslError naming the mechanism. */
export function requirePassword(credentials: SaslCredentials, mechanism: string): PasswordCredentials {
  if (!isPasswordCredentials(credentials)) {
    throw new SaslError('invalid-credentials', `${mechanism} needs a username and a password`);
  }
  return credentials;
}

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The token credentials a mechanism needs, with the RFC 6750 `b64token` syntax both OAuth mechanisms rely on. */
export function requireToken(credentials: SaslCredentials, mechanism: string): TokenCredentials {
  if (!isTokenCredentials(credentials)) {
    throw new SaslError('invalid-credentials', `${mechanism} needs a username and an access token`);
  }
  if (!B64TOKEN.test(credentials.accessToken)) {
    throw new SaslError('invalid-credentials', 'the access token is not an RFC 6750 b64token');
  }
  return credentials;
}
