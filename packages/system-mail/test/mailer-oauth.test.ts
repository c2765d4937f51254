import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOAuthServer, type FakeSmtpServerOptions } from '@sysmail/test-servers';
import { SystemMailConfigError, SystemMailDeliveryError } from '../src/errors.js';
import { beginAuthorization, completeAuthorization } from '../src/oauth/authorization-flow.js';
import type { AccessToken, AccessTokenSource } from '../src/mailer/access-token-source.js';
import { createSystemMailer } from '../src/mailer/create-system-mailer.js';
import type { SettingsStore } from '../src/settings-store.js';
import { ADDRESS, PHONE_MEMO, TLS, cleanUp, decoded, expectNoSecret, failure, onCleanup, save, smtpServer, tempStore } from './mailer-fixtures.js';

afterEach(cleanUp);

const GOOD = 'ya29.good-access-token-ABCDEFGH';
const STALE = 'ya29.stale-access-token-IJKLMNOP';

/** A token source handing out the given tokens in turn, counting refreshes. */
function tokenSource(first: string, refreshed: string): AccessTokenSource & { refreshes: number; invalidations: number } {
  const source = {
    refreshes: 0,
    invalidations: 0,
    async getAccessToken(): Promise<AccessToken> {
      return { token: first, username: ADDRESS };
    },
    async forceRefresh(): Promise<AccessToken> {
      source.refreshes += 1;
      return { token: refreshed, username: ADDRESS };
    },
    invalidate(): void {
      source.invalidations += 1;
    },
  };
  return source;
}

const acceptGood = (username: string, token: string): boolean | { error: object } =>
  username === ADDRESS && token === GOOD ? true : { error: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } };

/** A server for the provider's preset (Gmail: implicit TLS) on loopback, with OAuth settings saved and authorized. */
async function oauthSetup(
  provider: 'google' | 'microsoft',
  server: FakeSmtpServerOptions,
): Promise<{ store: SettingsStore; smtp: Awaited<ReturnType<typeof smtpServer>> }> {
  const smtp = await smtpServer({ ...(provider === 'google' ? { implicitTls: true } : { starttls: true }), ...server });
  const { store } = await tempStore();
  await store.oauthClients.add({ id: provider, provider, clientId: `${provider}-app`, smtpHost: '127.0.0.1', smtpPort: smtp.port });
  await save(store, {
    use: true,
    address: ADDRESS,
    server: { type: 'dedicated', oauth: { enabled: true, client: provider }, smtp: { timeoutSeconds: 10 }, auth: { method: 'none' } },
  });
  await store.setOAuthState(
    { client: provider, address: ADDRESS },
    { status: 'authorized', refreshToken: 'refresh-token-QRSTUVWX', accessToken: STALE, expiresAt: Date.now() + 3_600_000, account: ADDRESS },
  );
  return { store, smtp };
}

describe('OAuth sending', () => {
  it('signs in with XOAUTH2 over the provider preset encryption (Gmail: implicit TLS)', async () => {
    const { store, smtp } = await oauthSetup('google', { auth: { mechanisms: ['XOAUTH2', 'PLAIN'], verifyToken: acceptGood } });
    const tokens = tokenSource(GOOD, GOOD);
    const result = await createSystemMailer({ store, tls: TLS, tokenProvider: tokens }).send(PHONE_MEMO);
    expect(smtp.sessions[0]).toMatchObject({ mechanism: 'XOAUTH2', secure: true, authenticatedAs: ADDRESS });
    expect(tokens.refreshes).toBe(0);
    expect(result.accepted).toEqual([PHONE_MEMO.to]);
    expectNoSecret(result, [GOOD]);
  });

  it('uses OAUTHBEARER when that is all the server offers (Exchange preset: STARTTLS)', async () => {
    const { store, smtp } = await oauthSetup('microsoft', { auth: { mechanisms: ['OAUTHBEARER'], verifyToken: acceptGood } });
    await createSystemMailer({ store, tls: TLS, tokenProvider: tokenSource(GOOD, GOOD) }).send(PHONE_MEMO);
    expect(smtp.sessions[0]).toMatchObject({ mechanism: 'OAUTHBEARER', secure: true });
  });

  it('refreshes once and retries once when the server answers the JSON error challenge', async () => {
    const { store, smtp } = await oauthSetup('google', { auth: { mechanisms: ['XOAUTH2'], verifyToken: acceptGood } });
    const tokens = tokenSource(STALE, GOOD);
    const result = await createSystemMailer({ store, tls: TLS, tokenProvider: tokens }).send(PHONE_MEMO);
    expect(tokens.refreshes).toBe(1);
    expect(tokens.invalidations).toBe(1);
    expect(smtp.messages).toHaveLength(1);
    expect(result.transcript.some((e) => e.protocol === 'mailer' && e.text.includes('refreshing'))).toBe(true);
    expectNoSecret(result, [GOOD, STALE]);
  });

  it('gives up after one retry with Google 535 5.7.8, telling the administrator to authorize again', async () => {
    const { store, smtp } = await oauthSetup('google', { auth: { mechanisms: ['XOAUTH2'], verifyToken: acceptGood } });
    const tokens = tokenSource(STALE, 'ya29.also-refused-token-YZ012345');
    const error = await failure(createSystemMailer({ store, tls: TLS, tokenProvider: tokens }).send(PHONE_MEMO));
    expect(tokens.refreshes).toBe(1);
    expect(error).toBeInstanceOf(SystemMailDeliveryError);
    expect(error).toMatchObject({ phase: 'auth', transient: false, reply: { code: 535, enhancedCode: '5.7.8' } });
    expect((error as SystemMailDeliveryError).messages.ja).toContain('OAuth認可をやり直してください');
    expect((error as SystemMailDeliveryError).messages.en).toContain('Authorize again');
    expect(smtp.messages).toHaveLength(0);
    expectNoSecret(error, [STALE, 'ya29.also-refused-token-YZ012345']);
  });

  it.each([
    ['5.7.139', '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.', 'Exchange 管理センター', 'Exchange admin center'],
    ['5.7.30', '535 5.7.30 Basic authentication is not supported for Client Submission.', 'OAuth', 'Use OAuth'],
  ])('turns Microsoft %s into what the administrator must do, without a pointless refresh', async (code, reply, ja, en) => {
    const { store } = await oauthSetup('microsoft', { auth: { mechanisms: ['XOAUTH2'], verifyToken: acceptGood }, script: [{ command: 'AUTH', reply }] });
    const tokens = tokenSource(GOOD, GOOD);
    const error = await failure(createSystemMailer({ store, tls: TLS, tokenProvider: tokens }).send(PHONE_MEMO));
    expect(error).toMatchObject({ name: 'SystemMailDeliveryError', phase: 'auth', transient: false, reply: { code: 535, enhancedCode: code } });
    expect((error as SystemMailDeliveryError).messages.ja).toContain(ja);
    expect((error as SystemMailDeliveryError).messages.en).toContain(en);
    expect(tokens.refreshes).toBe(0);
  });

  it('names the provider fix for 5.7.139 with password authentication too', async () => {
    const smtp = await smtpServer({
      starttls: true,
      auth: { mechanisms: ['LOGIN'], users: { sys: 'pw-0123456789' } },
      script: [{ command: 'AUTH', reply: '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.' }],
    });
    const { store } = await tempStore();
    await save(store, {
      use: true,
      address: ADDRESS,
      server: {
        type: 'dedicated',
        oauth: { enabled: false },
        smtp: { host: '127.0.0.1', port: smtp.port, encryption: 'starttls', timeoutSeconds: 10 },
        auth: { method: 'smtp-auth', mechanism: 'LOGIN', account: 'sys', password: 'pw-0123456789' },
      },
    });
    const error = await failure(createSystemMailer({ store, tls: TLS }).send(PHONE_MEMO));
    expect((error as SystemMailDeliveryError).messages.ja).toContain('認証済みSMTP');
  });

  it('refuses to send while OAuth is 要認可', async () => {
    const { store, smtp } = await oauthSetup('google', { auth: { mechanisms: ['XOAUTH2'], verifyToken: acceptGood } });
    await store.setOAuthState({ client: 'google', address: ADDRESS }, { status: 'authorization-required' });
    const error = await failure(createSystemMailer({ store, tls: TLS, tokenProvider: tokenSource(GOOD, GOOD) }).send(PHONE_MEMO));
    expect(error).toBeInstanceOf(SystemMailConfigError);
    expect((error as SystemMailConfigError).messages.ja).toContain('要認可');
    expect((error as SystemMailConfigError).messages.en).toContain('Sign in with Google');
    expect(smtp.sessions).toHaveLength(0);
  });

  it('passes a token source failure through as the package error it is', async () => {
    const { store } = await oauthSetup('google', { auth: { mechanisms: ['XOAUTH2'], verifyToken: acceptGood } });
    const unreachable = new SystemMailDeliveryError({ phase: 'oauth', transient: true, messages: { ja: 'トークン', en: 'token endpoint unreachable' } });
    const tokens: AccessTokenSource = {
      getAccessToken: () => Promise.reject(unreachable),
      forceRefresh: () => Promise.reject(unreachable),
    };
    expect(await failure(createSystemMailer({ store, tls: TLS, tokenProvider: tokens }).send(PHONE_MEMO))).toBe(unreachable);
    const odd: AccessTokenSource = { getAccessToken: () => Promise.reject(new Error('boom')), forceRefresh: () => Promise.reject(new Error('boom')) };
    expect(await failure(createSystemMailer({ store, tls: TLS, tokenProvider: odd }).send(PHONE_MEMO))).toMatchObject({
      name: 'SystemMailDeliveryError',
      phase: 'oauth',
    });
  });
});

describe('OAuth sending with the package token provider and the fake OAuth server', () => {
  it('authorizes, sends with the stored token, and refreshes it when the server has revoked it', async () => {
    const oauth = await startFakeOAuthServer({ account: ADDRESS });
    onCleanup(() => oauth.close());
    oauth.registerClient({ clientId: 'google-app', clientSecret: 'client-secret-0123456789', redirectUris: ['http://127.0.0.1/'], flavour: 'google' });
    const smtp = await smtpServer({ implicitTls: true, auth: { mechanisms: ['XOAUTH2'], verifyToken: oauth.xoauth2Verifier() } });
    const { store } = await tempStore();
    await store.oauthClients.add({
      id: 'google',
      provider: 'google',
      clientId: 'google-app',
      clientSecret: 'client-secret-0123456789',
      authorizeEndpoint: oauth.urls.google.authorize,
      tokenEndpoint: oauth.urls.google.token,
      smtpHost: '127.0.0.1',
      smtpPort: smtp.port,
    });
    await save(store, {
      use: true,
      address: ADDRESS,
      server: { type: 'dedicated', oauth: { enabled: true, client: 'google' }, smtp: { timeoutSeconds: 10 }, auth: { method: 'none' } },
    });
    const mailer = createSystemMailer({ store, tls: TLS });
    expect(await failure(mailer.send(PHONE_MEMO))).toBeInstanceOf(SystemMailConfigError);

    const begun = await beginAuthorization(store, 'google');
    const redirect = await fetch(begun.url, { redirect: 'manual' });
    await completeAuthorization(store, redirect.headers.get('location') ?? '');
    const first = await mailer.send(PHONE_MEMO);
    expect(first.accepted).toEqual([PHONE_MEMO.to]);
    expect(oauth.refreshCount).toBe(0);

    oauth.expireAccessTokens();
    const second = await mailer.send({ ...PHONE_MEMO, subject: '電話メモ: 再送' });
    expect(oauth.refreshCount).toBe(1);
    expect(smtp.messages.map((m) => decoded(m.content).subject)).toEqual([PHONE_MEMO.subject, '電話メモ: 再送']);
    const token = (await store.getOAuthState())?.accessToken ?? '';
    expect(token.length).toBeGreaterThan(8);
    expectNoSecret([first, second], [token, 'client-secret-0123456789']);
  });
});
