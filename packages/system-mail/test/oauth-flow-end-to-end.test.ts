// The whole OAuth life of the system mail account, end to end, against the
// fake OAuth authorization server and the fake SMTP server (which validates
// every XOAUTH2 / OAUTHBEARER token with the OAuth server's own verifier):
// register client → save settings → 要認可 → authorize through a real HTTP
// redirect to the loopback listener → 認可済み → send → the token expires →
// automatic refresh → send again → refresh token revoked → 要認可 and a clear
// error. One clock, injected into both the OAuth server and the token
// provider, makes tokens expire without sleeping.
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOAuthServer, type FakeOAuthServer, type FakeSmtpServer, type OAuthFlavour } from '@sysmail/test-servers';
import {
  authorizeInteractively,
  createOAuthTokenProvider,
  createSystemMailer,
  SystemMailConfigError,
  SystemMailOAuthError,
  type AccessTokenSource,
  type SettingsStore,
  type SystemMailer,
  type SystemMailTranscriptEntry,
} from '../src/index.js';
import { ADDRESS, PHONE_MEMO, TLS, cleanUp, decoded, expectNoSecret, failure, onCleanup, smtpServer, tempStore } from './mailer-fixtures.js';

afterEach(cleanUp);

const CLIENT_SECRET = 'e2e-client-secret-DO-NOT-LEAK-789';
const HOUR_MS = 3_600_000;

const SCOPES: Record<OAuthFlavour, string> = {
  google: 'https://mail.google.com/',
  microsoft: 'https://outlook.office.com/SMTP.Send',
};

/** A clock both the fake OAuth server and the token provider read, moved by the test. */
function testClock(): { now: () => number; advance: (ms: number) => void } {
  let at = Date.now();
  return { now: () => at, advance: (ms) => void (at += ms) };
}

interface World {
  readonly oauth: FakeOAuthServer;
  readonly smtp: FakeSmtpServer;
  readonly store: SettingsStore;
  readonly clock: ReturnType<typeof testClock>;
  /** Every transcript line any mailer of this world produced. */
  readonly transcript: SystemMailTranscriptEntry[];
  /** A mailer using the package's token provider on the shared clock. */
  mailer(): SystemMailer;
}

/**
 * The fake servers for a provider, and a store with nothing in it yet. Gmail's preset is implicit TLS,
 * Exchange Online's STARTTLS; Microsoft rotates refresh tokens.
 */
async function world(flavour: OAuthFlavour, mechanisms: readonly string[] = ['XOAUTH2', 'OAUTHBEARER']): Promise<World> {
  const clock = testClock();
  const oauth = await startFakeOAuthServer({ account: ADDRESS, now: clock.now });
  onCleanup(() => oauth.close());
  // The app registration: the CLI's loopback redirect URI, which matches any port (RFC 8252 §7.3).
  oauth.registerClient({
    clientId: `${flavour}-e2e-app`,
    clientSecret: CLIENT_SECRET,
    redirectUris: ['http://127.0.0.1/'],
    flavour,
    rotateRefreshTokens: flavour === 'microsoft',
  });
  const smtp = await smtpServer({
    ...(flavour === 'google' ? { implicitTls: true } : { starttls: true }),
    auth: { mechanisms: [...mechanisms], verifyToken: oauth.xoauth2Verifier(SCOPES[flavour]) },
  });
  const { store } = await tempStore();
  const transcript: SystemMailTranscriptEntry[] = [];
  return {
    oauth,
    smtp,
    store,
    clock,
    transcript,
    mailer: () =>
      createSystemMailer({
        store,
        tls: TLS,
        clock: clock.now,
        tokenProvider: createOAuthTokenProvider(store, { now: clock.now }),
        onTranscript: (entry) => transcript.push(entry),
      }),
  };
}

/** Registers the OAuth client in the store, pointed at the fake servers. */
async function registerClient(w: World, flavour: OAuthFlavour): Promise<void> {
  const endpoints = flavour === 'google' ? w.oauth.urls.google : w.oauth.urls.microsoft('contoso.example');
  await w.store.oauthClients.add({
    id: flavour,
    provider: flavour,
    clientId: `${flavour}-e2e-app`,
    clientSecret: CLIENT_SECRET,
    ...(flavour === 'microsoft' ? { tenant: 'contoso.example' } : {}),
    authorizeEndpoint: endpoints.authorize,
    tokenEndpoint: endpoints.token,
    smtpHost: '127.0.0.1',
    smtpPort: w.smtp.port,
  });
}

/** Saves the change screen's fields as posted: OAuth with the given client, only the timeout editable. */
async function saveForm(w: World, client: string, address = ADDRESS): Promise<void> {
  const result = await w.store.submitForm({ use: '1', address, serverType: 'dedicated', oauth: '1', oauthClient: client, timeout: '20' });
  if (!result.ok) throw new Error(`settings refused: ${JSON.stringify(result.issues.map((i) => [i.path, i.code]))}`);
}

/** Plays the administrator's browser: follows the provider's redirect to the loopback listener. */
async function browser(url: string): Promise<void> {
  const page = await fetch(url);
  expect(page.status).toBe(200);
  expect(page.redirected).toBe(true);
  expect(new URL(page.url).hostname).toBe('127.0.0.1');
  expect(await page.text()).toContain('認可の応答を受け取りました');
}

/** Runs `system-mail authorize`'s flow on the shared clock. */
function authorize(w: World, client: string): ReturnType<typeof authorizeInteractively> {
  return authorizeInteractively(w.store, client, { presentUrl: browser, now: w.clock.now, timeoutMs: 10_000 });
}

async function tokens(store: SettingsStore): Promise<{ access: string; refresh: string }> {
  const state = await store.getOAuthState();
  return { access: state?.accessToken ?? '', refresh: state?.refreshToken ?? '' };
}

describe.each(['google', 'microsoft'] as const)('OAuth end to end (%s)', (flavour) => {
  it('register → save → 要認可 → authorize → 認可済み → send → expiry → refresh → send → revoked → 要認可', async () => {
    const w = await world(flavour);
    const secrets = new Set<string>([CLIENT_SECRET]);
    const keep = async (): Promise<void> => {
      const { access, refresh } = await tokens(w.store);
      if (access !== '') secrets.add(access);
      if (refresh !== '') secrets.add(refresh);
    };
    const signIn = flavour === 'google' ? 'Sign in with Google' : 'Sign in with Microsoft';

    // 1. Register the client and save the settings: the details screen says 要認可 and nothing can be sent.
    await registerClient(w, flavour);
    await saveForm(w, flavour);
    const before = await w.store.describe();
    expect(before?.oauth).toMatchObject({ status: 'authorization-required', label: { ja: '要認可' }, signIn: { provider: flavour, label: signIn } });
    const mailer = w.mailer();
    const notYet = await failure(mailer.send(PHONE_MEMO));
    expect(notYet).toBeInstanceOf(SystemMailConfigError);
    expect((notYet as SystemMailConfigError).messages.ja).toContain('要認可');
    expect((notYet as SystemMailConfigError).messages.en).toContain(signIn);
    expect(w.smtp.sessions).toHaveLength(0);

    // 2. Authorize: the browser follows the provider's 302 to the loopback listener; the code is exchanged with PKCE.
    const done = await authorize(w, flavour);
    expect(done.account).toBe(ADDRESS);
    const authorizeRequest = w.oauth.requestLog.find((e) => e.endpoint === 'authorize');
    expect(authorizeRequest).toMatchObject({ status: 302 });
    expect(authorizeRequest?.params['redirect_uri']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(authorizeRequest?.params['code_challenge_method']).toBe('S256');
    expect(w.oauth.requestLog.find((e) => e.endpoint === 'token')?.params['grant_type']).toBe('authorization_code');
    const after = await w.store.describe();
    expect(after?.oauth).toMatchObject({ status: 'authorized', label: { ja: '認可済み' } });
    await keep();

    // 3. Send: the SMTP server accepts the token the OAuth server issued; no refresh was needed.
    const check = await mailer.testConnection();
    expect(check.ok).toBe(true);
    const first = await mailer.send(PHONE_MEMO);
    expect(first.accepted).toEqual([PHONE_MEMO.to]);
    expect(w.smtp.sessions.at(-1)).toMatchObject({ mechanism: 'XOAUTH2', secure: true, authenticatedAs: ADDRESS });
    expect(w.oauth.refreshCount).toBe(0);

    // 4. An hour later the access token has expired (for the server too): the provider refreshes before sending.
    const expired = (await tokens(w.store)).access;
    w.clock.advance(HOUR_MS);
    expect(w.oauth.verifyAccessToken(expired)).toEqual({ valid: false, reason: 'expired' });
    const second = await mailer.send({ ...PHONE_MEMO, subject: '電話メモ: 再送' });
    expect(second.accepted).toEqual([PHONE_MEMO.to]);
    expect(w.oauth.refreshCount).toBe(1);
    const refreshed = await tokens(w.store);
    expect(refreshed.access).not.toBe(expired);
    expect(w.oauth.verifyAccessToken(refreshed.access).valid).toBe(true);
    // Refreshed ahead of time: the server never had to refuse a token.
    expect(w.smtp.sessions.filter((s) => s.authenticatedAs === undefined)).toHaveLength(0);
    expect(w.smtp.messages.map((m) => decoded(m.content).subject)).toEqual([PHONE_MEMO.subject, '電話メモ: 再送']);
    await keep();

    // 5. The grant is revoked at the provider (its access tokens with it): the server refuses the token, the
    //    one refresh is answered invalid_grant, the status is back to 要認可, and the error says what to do.
    expect(w.oauth.revokeRefreshToken(refreshed.refresh)).toBe(true);
    const revoked = await failure(mailer.send(PHONE_MEMO));
    expect(revoked).toBeInstanceOf(SystemMailOAuthError);
    expect(revoked).toMatchObject({ reason: 'reauthorization-required', oauthError: 'invalid_grant' });
    expect((revoked as SystemMailOAuthError).messages.ja).toContain('要認可');
    expect((revoked as SystemMailOAuthError).messages.ja).toContain('サインインし直して');
    expect((revoked as SystemMailOAuthError).messages.en).toContain(`${signIn} again`);
    expect(w.oauth.refreshCount).toBe(2);
    expect(w.smtp.messages).toHaveLength(2);
    expect(w.transcript.some((e) => e.protocol === 'mailer' && e.text.includes('refreshing'))).toBe(true);
    const again = await w.store.describe();
    expect(again?.oauth).toMatchObject({ status: 'authorization-required', label: { ja: '要認可' }, signIn: { label: signIn } });
    expect(await w.store.getOAuthState()).toEqual({ status: 'authorization-required' });

    // 6. Signing in again brings back 認可済み and sending.
    await authorize(w, flavour);
    expect((await w.store.describe())?.oauth.status).toBe('authorized');
    await keep();
    expect((await mailer.send(PHONE_MEMO)).accepted).toEqual([PHONE_MEMO.to]);

    // No token or client secret anywhere the administrator or a log could see.
    expect(secrets.size).toBeGreaterThanOrEqual(flavour === 'microsoft' ? 7 : 6);
    expectNoSecret([first, second, check, w.transcript, before, after, again, await w.store.describe()], [...secrets]);
    for (const error of [notYet, revoked]) expectNoSecret(error, [...secrets]);
    expect(JSON.stringify(w.oauth.requestLog)).not.toContain(CLIENT_SECRET);
  });
});

describe('OAuth end to end: concurrency', () => {
  it('20 simultaneous sends after the token expired cause exactly one refresh', async () => {
    const w = await world('microsoft');
    await registerClient(w, 'microsoft');
    await saveForm(w, 'microsoft');
    await authorize(w, 'microsoft');
    w.clock.advance(HOUR_MS);
    const mailer = w.mailer();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => mailer.send({ ...PHONE_MEMO, subject: `電話メモ ${i}` })));
    expect(results.every((r) => r.accepted.length === 1)).toBe(true);
    expect(w.oauth.refreshCount).toBe(1);
    expect(w.smtp.messages).toHaveLength(20);
    expect(new Set(w.smtp.sessions.map((s) => s.authenticatedAs))).toEqual(new Set([ADDRESS]));
  });

  it('20 simultaneous sends whose token the server refuses early share one refresh', async () => {
    const w = await world('google');
    await registerClient(w, 'google');
    await saveForm(w, 'google');
    await authorize(w, 'google');
    // The provider ends the token early (the stored expiry says it is still fresh): every server refuses it.
    w.oauth.expireAccessTokens();
    const mailer = w.mailer();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => mailer.send({ ...PHONE_MEMO, subject: `電話メモ ${i}` })));
    expect(results.every((r) => r.accepted.length === 1)).toBe(true);
    expect(w.oauth.refreshCount).toBe(1);
    expect(w.smtp.messages).toHaveLength(20);
  });

  it('a send refused after another one already refreshed the token reuses that token instead of refreshing again', async () => {
    const w = await world('google');
    await registerClient(w, 'google');
    await saveForm(w, 'google');
    await authorize(w, 'google');
    w.oauth.expireAccessTokens();
    const provider = createOAuthTokenProvider(w.store, { now: w.clock.now });
    // The late send took its token before the refresh and is refused only after the refresh is over.
    const stale = await provider.getAccessToken();
    const late: AccessTokenSource = {
      getAccessToken: () => Promise.resolve(stale),
      forceRefresh: (refused) => provider.forceRefresh(refused),
      invalidate: (refused) => provider.invalidate(refused),
    };
    const early = createSystemMailer({ store: w.store, tls: TLS, tokenProvider: provider });
    expect((await early.send(PHONE_MEMO)).accepted).toEqual([PHONE_MEMO.to]);
    expect(w.oauth.refreshCount).toBe(1);
    const result = await createSystemMailer({ store: w.store, tls: TLS, tokenProvider: late }).send(PHONE_MEMO);
    expect(result.accepted).toEqual([PHONE_MEMO.to]);
    expect(result.transcript.some((e) => e.protocol === 'mailer' && e.text.includes('refreshing'))).toBe(true);
    expect(w.oauth.refreshCount).toBe(1);
    expect(w.smtp.messages).toHaveLength(2);
    // Without a refused token to compare, forceRefresh still refreshes.
    await provider.forceRefresh();
    expect(w.oauth.refreshCount).toBe(2);
  });
});

describe('OAuth end to end: details', () => {
  it('signs in with OAUTHBEARER where the server offers only it, refreshing a refused token once', async () => {
    const w = await world('microsoft', ['OAUTHBEARER']);
    await registerClient(w, 'microsoft');
    await saveForm(w, 'microsoft');
    await authorize(w, 'microsoft');
    w.oauth.expireAccessTokens();
    const result = await w.mailer().send(PHONE_MEMO);
    expect(result.accepted).toEqual([PHONE_MEMO.to]);
    expect(w.oauth.refreshCount).toBe(1);
    expect(w.smtp.sessions.map((s) => s.mechanism)).toEqual(['OAUTHBEARER']);
    expect(w.smtp.sessions[0]).toMatchObject({ secure: true, authenticatedAs: ADDRESS });
    expect(result.transcript.some((e) => e.protocol === 'mailer' && e.text.includes('refreshing'))).toBe(true);
    // The JSON error challenge, the empty answer, 535, then the same session signs in with the new token.
    const lines = result.transcript.map((e) => `${e.protocol} ${e.direction} ${e.text}`).join('\n');
    expect(lines).toMatch(
      /smtp client AUTH OAUTHBEARER <redacted>\nsmtp server 334 <redacted>\nsmtp client <redacted>\nsmtp server 535 [^\n]*\nmailer info [^\n]*refreshing[^\n]*\nsmtp client AUTH OAUTHBEARER <redacted>\nsmtp server 235 /,
    );

    // testConnection() takes the same path: refused token, one refresh, signed in, nothing sent.
    w.oauth.expireAccessTokens();
    const check = await w.mailer().testConnection();
    expect(check.ok).toBe(true);
    expect(w.oauth.refreshCount).toBe(2);
    expect(check.transcript.some((e) => e.protocol === 'mailer' && e.text.includes('refreshing'))).toBe(true);
    expect(w.smtp.messages).toHaveLength(1);
  });

  it('saving another address or another OAuth client makes it 要認可 again and drops the tokens; the timeout does not', async () => {
    const w = await world('google');
    await registerClient(w, 'google');
    await w.store.oauthClients.add({ id: 'other', provider: 'google', clientId: 'other-app', smtpHost: '127.0.0.1', smtpPort: w.smtp.port });
    await saveForm(w, 'google');
    await authorize(w, 'google');
    const mailer = w.mailer();

    const timeoutOnly = await w.store.submitForm({ use: '1', address: ADDRESS, serverType: 'dedicated', oauth: '1', oauthClient: 'google', timeout: '60' });
    expect(timeoutOnly.ok).toBe(true);
    expect((await w.store.describe())?.oauth.status).toBe('authorized');
    expect((await mailer.send(PHONE_MEMO)).accepted).toEqual([PHONE_MEMO.to]);

    await saveForm(w, 'google', 'other-notify@example.com');
    expect((await w.store.describe())?.oauth.status).toBe('authorization-required');
    expect(await failure(mailer.send(PHONE_MEMO))).toMatchObject({ name: 'SystemMailConfigError', messages: { ja: expect.stringContaining('要認可') } });
    // Going back to the old address does not bring the old tokens back.
    await saveForm(w, 'google');
    expect((await w.store.describe())?.oauth.status).toBe('authorization-required');
    await authorize(w, 'google');
    expect((await w.store.describe())?.oauth.status).toBe('authorized');

    await saveForm(w, 'other');
    expect((await w.store.describe())?.oauth.status).toBe('authorization-required');
    expect(await failure(mailer.send(PHONE_MEMO))).toMatchObject({ name: 'SystemMailConfigError', messages: { ja: expect.stringContaining('要認可') } });
    await saveForm(w, 'google');
    expect((await w.store.describe())?.oauth.status).toBe('authorization-required');
    expect(w.smtp.messages).toHaveLength(1);
  });
});
