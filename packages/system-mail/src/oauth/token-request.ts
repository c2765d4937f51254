import { secureEndpoint } from './endpoint-url.js';
import { SystemMailOAuthError, tokenEndpointUnavailable } from './oauth-errors.js';

/** Real token responses are a few kilobytes; anything far larger is not one. */
const MAX_RESPONSE_BYTES = 64 * 1024;
/** Provider descriptions (Microsoft's carry trace ids) are cut to this length in messages. */
const MAX_DESCRIPTION_LENGTH = 300;
/** Assumed lifetime when a response omits `expires_in` (RFC 6749 §5.1 only recommends it). */
const DEFAULT_EXPIRES_IN_SECONDS = 3600;

/** A successful token response (RFC 6749 §5.1), the fields sysmail uses. */
export interface TokenResponse {
  /** The access token. */
  readonly accessToken: string;
  /** Its lifetime in seconds. */
  readonly expiresInSeconds: number;
  /** A (new) refresh token, when the provider issued one. */
  readonly refreshToken: string | undefined;
  /** The OpenID Connect ID token, when `openid` was granted. */
  readonly idToken: string | undefined;
}

/** An OAuth error response (RFC 6749 §5.2) the caller must interpret: `invalid_grant` means different things per grant. */
export interface TokenErrorResponse {
  /** The `error` code. */
  readonly error: string;
  /** The `error_description`, first line only, cut short, with every secret of the request removed. */
  readonly description: string | undefined;
}

/** How to send a token request. */
export interface TokenRequestOptions {
  /** Total time for the request and its response body. */
  readonly timeoutMs: number;
  /** Aborts the request; the signal's reason is thrown as is. */
  readonly signal?: AbortSignal | undefined;
}

/** RFC 6749 error codes that say "try again later" rather than "this request is wrong". */
const TRANSIENT_ERRORS = new Set(['temporarily_unavailable', 'server_error']);

function printable(text: string, max: number): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  const clean = line.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

function scrub(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (secret.length >= 4) result = result.split(secret).join('[redacted]');
  return result;
}

async function readBounded(response: Response): Promise<string | undefined> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_RESPONSE_BYTES) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    // No cause kept: a JSON syntax error quotes the text, which may hold a token.
    return undefined;
  }
}

function invalidResponse(detail: string): SystemMailOAuthError {
  return new SystemMailOAuthError('invalid-response', {
    ja: `OAuthのトークンエンドポイントの応答が正しくありません。OAuthクライアントのトークンエンドポイントの設定を確認してください。（${detail}）`,
    en: `The OAuth token endpoint's answer is not a valid token response; check the OAuth client's token endpoint. (${detail})`,
  });
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function tokenResponseOf(body: Record<string, unknown>): TokenResponse {
  const accessToken = stringField(body, 'access_token');
  if (accessToken === undefined) throw invalidResponse('no access_token');
  const tokenType = stringField(body, 'token_type');
  if (tokenType === undefined || tokenType.toLowerCase() !== 'bearer') throw invalidResponse('token_type is not Bearer');
  const expiresIn = body['expires_in'];
  // Microsoft has sent expires_in as a string in some responses.
  const seconds = typeof expiresIn === 'number' ? expiresIn : typeof expiresIn === 'string' ? Number(expiresIn) : DEFAULT_EXPIRES_IN_SECONDS;
  if (!Number.isFinite(seconds) || seconds <= 0) throw invalidResponse('expires_in is not a positive number');
  return { accessToken, expiresInSeconds: seconds, refreshToken: stringField(body, 'refresh_token'), idToken: stringField(body, 'id_token') };
}

/**
 * POSTs a form to a token endpoint (RFC 6749 §4.1.3, §6) with Node's global
 * `fetch`, without following redirects, within a total timeout.
 *
 * @param endpoint - the token endpoint (https, or http on loopback).
 * @param form - the parameters; every value in it is scrubbed from provider descriptions.
 * @param options - timeout and abort signal.
 * @returns the tokens, or the provider's OAuth error for the caller to interpret.
 * @throws SystemMailDeliveryError (phase `oauth`, transient) on a network failure, timeout, 5xx, 429 or `temporarily_unavailable`.
 * @throws SystemMailOAuthError (`invalid-response`) when the answer is not an OAuth response.
 */
export async function requestTokens(
  endpoint: string,
  form: URLSearchParams,
  options: TokenRequestOptions,
): Promise<{ readonly ok: true; readonly tokens: TokenResponse } | ({ readonly ok: false } & TokenErrorResponse)> {
  const url = secureEndpoint(endpoint, 'token');
  // A provider echoing the request may quote a value raw or still encoded.
  const secrets = [...form.values()].flatMap((v) => [v, encodeURIComponent(v), new URLSearchParams({ v }).toString().slice(2)]);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  let status: number;
  let text: string | undefined;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      redirect: 'error',
      signal,
    });
    status = response.status;
    text = await readBounded(response);
  } catch (error) {
    if (options.signal?.aborted === true) throw options.signal.reason;
    if (timeout.aborted) throw tokenEndpointUnavailable(`no answer within ${options.timeoutMs} ms`, error);
    // fetch's errors name the URL and the socket error, never the request body.
    throw tokenEndpointUnavailable(error instanceof Error && error.cause instanceof Error ? error.cause.message : 'network error', error);
  }
  if (text === undefined) throw invalidResponse(`HTTP ${status}, answer over ${MAX_RESPONSE_BYTES} bytes`);
  const body = parseJsonObject(text);
  const error = body === undefined ? undefined : stringField(body, 'error');
  if (status >= 500 || status === 429 || (error !== undefined && TRANSIENT_ERRORS.has(error))) {
    throw tokenEndpointUnavailable(error === undefined ? `HTTP ${status}` : `HTTP ${status}, ${printable(error, 64)}`);
  }
  if (body === undefined) throw invalidResponse(`HTTP ${status}, not JSON`);
  if (error !== undefined) {
    const description = stringField(body, 'error_description');
    return {
      ok: false,
      error: printable(scrub(error, secrets), 64),
      description: description === undefined ? undefined : printable(scrub(description, secrets), MAX_DESCRIPTION_LENGTH),
    };
  }
  if (status !== 200) throw invalidResponse(`HTTP ${status}`);
  return { ok: true, tokens: tokenResponseOf(body) };
}
