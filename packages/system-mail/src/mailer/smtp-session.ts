import { SmtpAuthError, SmtpCapabilityError, SmtpClient } from '@sysmail/smtp-client';
import type { AccessToken, AccessTokenSource } from './access-token-source.js';
import type { SmtpLogin, SmtpTarget } from './delivery-plan.js';
import { smtpFailure, tokenFailure, tokenMayBeStale, type SmtpFailureContext } from './delivery-errors.js';
import type { SystemMailTlsOptions, SystemMailTranscriptEntry } from './mailer-types.js';

/** Everything needed to open an authenticated SMTP session. */
export interface SmtpSessionRequest {
  /** The outgoing server. */
  readonly target: SmtpTarget;
  /** How to sign in. */
  readonly login: SmtpLogin;
  /** Where OAuth tokens come from; asked only when `login` is `oauth`. */
  readonly tokens: AccessTokenSource;
  /** True when POP before SMTP opened the relay (for error advice). */
  readonly popBeforeSmtp: boolean;
  /** TLS settings (CA…). */
  readonly tls?: SystemMailTlsOptions;
  /** Receives the redacted transcript. */
  readonly onTranscript: (entry: SystemMailTranscriptEntry) => void;
  /** The EHLO name. */
  readonly clientName?: string;
  /** The local address to connect from. */
  readonly localAddress?: string;
  /** Aborts the session. */
  readonly signal?: AbortSignal;
}

const OAUTH_MECHANISMS = ['XOAUTH2', 'OAUTHBEARER'] as const;

function connect(request: SmtpSessionRequest): Promise<SmtpClient> {
  const { target, login } = request;
  return SmtpClient.connect({
    host: target.host,
    port: target.port,
    security: target.encryption,
    timeouts: target.timeoutSeconds * 1000,
    ...(request.tls !== undefined ? { tls: request.tls } : {}),
    ...(request.clientName !== undefined ? { clientName: request.clientName } : {}),
    ...(request.localAddress !== undefined ? { localAddress: request.localAddress } : {}),
    ...(request.signal !== undefined ? { signal: request.signal } : {}),
    onTranscript: (entry) => request.onTranscript({ protocol: 'smtp', direction: entry.direction, text: entry.text }),
    allowPlaintextAuth: login.kind === 'password' && login.allowPlaintext,
  });
}

function oauthMechanism(client: SmtpClient): string {
  const offered = client.capabilities.authMechanisms;
  const chosen = OAUTH_MECHANISMS.find((m) => offered.includes(m));
  if (chosen === undefined) {
    throw new SmtpCapabilityError('auth', `The server offers neither XOAUTH2 nor OAUTHBEARER (it offers ${offered.join(', ') || 'no AUTH'}).`);
  }
  return chosen;
}

async function token(get: () => Promise<AccessToken>): Promise<AccessToken> {
  try {
    return await get();
  } catch (error) {
    throw tokenFailure(error);
  }
}

/**
 * Signs in with an OAuth token. A refused token (the JSON error challenge, or
 * 535) is refreshed once and tried once more — an access token may be
 * revoked or expire early whatever its stated lifetime — on the same session
 * when the server kept it open, else on a new one.
 */
async function authenticateWithToken(client: SmtpClient, request: SmtpSessionRequest, tokens: AccessTokenSource): Promise<SmtpClient> {
  const mechanism = oauthMechanism(client);
  const first = await token(() => tokens.getAccessToken());
  try {
    await client.authenticate({ username: first.username, accessToken: first.token, mechanism });
    return client;
  } catch (error) {
    if (!(error instanceof SmtpAuthError) || !tokenMayBeStale(error)) throw error;
  }
  tokens.invalidate?.(first);
  request.onTranscript({ protocol: 'mailer', direction: 'info', text: 'the server refused the access token; refreshing it and trying once more' });
  // Naming the refused token lets simultaneous sends refused alike share one refresh, however late they are refused.
  const second = await token(() => tokens.forceRefresh(first));
  let session = client;
  if (session.closed) session = await connect(request);
  try {
    await session.authenticate({ username: second.username, accessToken: second.token, mechanism: oauthMechanism(session) });
    return session;
  } catch (error) {
    if (session !== client) session.close();
    throw error;
  }
}

/**
 * Connects to the outgoing server exactly as configured (implicit TLS,
 * required STARTTLS or plaintext; every deadline from タイムアウトまでの時間)
 * and signs in: SMTP AUTH with the chosen mechanism, XOAUTH2 / OAUTHBEARER
 * with a token, or not at all.
 *
 * @param request - server, login, tokens, TLS and transcript.
 * @returns the authenticated client; the caller sends and quits.
 * @throws SystemMailDeliveryError for any failure of the session, with its phase.
 */
export async function openSmtpSession(request: SmtpSessionRequest): Promise<SmtpClient> {
  const where: SmtpFailureContext = { target: request.target, login: request.login, popBeforeSmtp: request.popBeforeSmtp };
  let client: SmtpClient | undefined;
  try {
    client = await connect(request);
    const login = request.login;
    if (login.kind === 'password') {
      await client.authenticate({
        username: login.username,
        password: login.password,
        ...(login.mechanism !== undefined ? { mechanism: login.mechanism } : {}),
      });
    } else if (login.kind === 'oauth') {
      client = await authenticateWithToken(client, request, request.tokens);
    }
    return client;
  } catch (error) {
    client?.close();
    throw smtpFailure(error, where);
  }
}
