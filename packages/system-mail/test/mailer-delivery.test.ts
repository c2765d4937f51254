import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tlsFixtures } from '@sysmail/test-servers';
import { SystemMailConfigError, SystemMailDeliveryError, SystemMailDisabledError } from '../src/errors.js';
import { createSystemMailer } from '../src/mailer/create-system-mailer.js';
import type { SystemMailTranscriptEntry } from '../src/mailer/mailer-types.js';
import {
  ADDRESS,
  PHONE_MEMO,
  POP_PASSWORD,
  POP_USER,
  SMTP_PASSWORD,
  SMTP_USER,
  TLS,
  cleanUp,
  decoded,
  dedicated,
  expectNoSecret,
  failure,
  popBeforeSmtpServers,
  popServer,
  save,
  smtpServer,
  tempStore,
} from './mailer-fixtures.js';

afterEach(cleanUp);

const users = { [SMTP_USER]: SMTP_PASSWORD };
const transcriptText = (t: readonly SystemMailTranscriptEntry[]): string => t.map((e) => `${e.protocol} ${e.direction} ${e.text}`).join('\n');

describe('sending without authentication', () => {
  it('delivers a Japanese phone memo from the system address, composed as MIME', async () => {
    const smtp = await smtpServer();
    const { store } = await tempStore();
    await save(store, dedicated(smtp.port));
    const mailer = createSystemMailer({ store, clock: () => Date.UTC(2026, 0, 5, 3, 4, 5) });
    const result = await mailer.send({ ...PHONE_MEMO, cc: ['boss@example.org'] });
    expect(result.accepted).toEqual(['yamada@example.org', 'boss@example.org']);
    expect(result.rejected).toEqual([]);
    expect(smtp.messages).toHaveLength(1);
    const received = smtp.messages[0];
    expect(received?.from).toBe(ADDRESS);
    const message = decoded(received?.content ?? new Uint8Array());
    expect(message.subject).toBe(PHONE_MEMO.subject);
    expect(message.text.replace(/\r\n/g, '\n').trimEnd()).toBe(PHONE_MEMO.text);
    expect(message.from).toBe(`sysmail 通知 <${ADDRESS}>`);
    expect(message.headers.get('x-sysmail-category')).toBe('phone-memo');
    expect(message.headers.get('date')).toBe('Mon, 5 Jan 2026 03:04:05 +0000');
    expect(message.headers.get('message-id')).toBe(result.messageId);
    expect(smtp.sessions[0]?.secure).toBe(false);
  });

  it('reports recipients the server refused while delivering to the others', async () => {
    const smtp = await smtpServer({ script: [{ command: 'RCPT', match: '<gone@example.org>', reply: '550 5.1.1 No such user' }] });
    const { store } = await tempStore();
    await save(store, dedicated(smtp.port));
    const result = await createSystemMailer({ store }).send({ ...PHONE_MEMO, to: ['gone@example.org', 'yamada@example.org'] });
    expect(result.accepted).toEqual(['yamada@example.org']);
    expect(result.rejected).toEqual([{ address: 'gone@example.org', reply: { code: 550, enhancedCode: '5.1.1', lines: ['No such user'] } }]);
  });

  it('reads the current settings from the store for every send', async () => {
    const first = await smtpServer();
    const second = await smtpServer();
    const { store, path } = await tempStore();
    await save(store, dedicated(first.port));
    const mailer = createSystemMailer({ store });
    await mailer.send(PHONE_MEMO);
    // Another store object on the same file, as another process would save.
    const { openSettingsStore } = await import('../src/settings-store.js');
    const other = await openSettingsStore({ path, key: Buffer.alloc(32, 7).toString('base64') });
    await save(other, dedicated(second.port));
    await mailer.send(PHONE_MEMO);
    expect(first.messages).toHaveLength(1);
    expect(second.messages).toHaveLength(1);
  });
});

describe('SMTP AUTH', () => {
  it.each(['CRAM-MD5', 'DIGEST-MD5'] as const)('signs in with %s over a plaintext link without any warning', async (mechanism) => {
    // DIGEST-MD5's digest-uri names the host connected to, which the server checks against its own name.
    const smtp = await smtpServer({ hostname: '127.0.0.1', auth: { mechanisms: ['PLAIN', 'LOGIN', 'CRAM-MD5', 'DIGEST-MD5'], users, required: true } });
    const { store } = await tempStore();
    await save(store, dedicated(smtp.port, {}, { method: 'smtp-auth', mechanism, account: SMTP_USER, password: SMTP_PASSWORD }));
    const result = await createSystemMailer({ store }).send(PHONE_MEMO);
    expect(smtp.sessions[0]?.mechanism).toBe(mechanism);
    expect(smtp.sessions[0]?.authenticatedAs).toBe(SMTP_USER);
    expect(result.warnings).toEqual([]);
    expectNoSecret(result, [SMTP_PASSWORD]);
  });

  it.each(['PLAIN', 'LOGIN'] as const)('signs in with %s over STARTTLS', async (mechanism) => {
    const smtp = await smtpServer({ starttls: true, auth: { mechanisms: ['PLAIN', 'LOGIN', 'CRAM-MD5'], users, required: true } });
    const { store } = await tempStore();
    await save(store, dedicated(smtp.port, { encryption: 'starttls' }, { method: 'smtp-auth', mechanism, account: SMTP_USER, password: SMTP_PASSWORD }));
    const result = await createSystemMailer({ store, tls: TLS }).send(PHONE_MEMO);
    expect(smtp.sessions[0]).toMatchObject({ mechanism, secure: true, authenticatedAs: SMTP_USER });
    expect(result.warnings).toEqual([]);
  });

  it('sends PLAIN over an unencrypted link only as the administrator chose it, and says so in the result', async () => {
    const smtp = await smtpServer({ auth: { mechanisms: ['PLAIN'], users, required: true } });
    const { store } = await tempStore();
    await save(store, dedicated(smtp.port, {}, { method: 'smtp-auth', mechanism: 'PLAIN', account: SMTP_USER, password: SMTP_PASSWORD }));
    const result = await createSystemMailer({ store }).send(PHONE_MEMO);
    expect(smtp.sessions[0]).toMatchObject({ mechanism: 'PLAIN', secure: false });
    expect(result.warnings.map((w) => w.code)).toEqual(['smtp-password.plaintext']);
    expect(result.warnings[0]?.message.ja).toContain('パスワード');
    expect(transcriptText(result.transcript)).toContain('AUTH PLAIN');
    expectNoSecret(result.transcript, [SMTP_PASSWORD]);
  });

  it('never falls back to another mechanism when the server does not offer the chosen one', async () => {
    const smtp = await smtpServer({ auth: { mechanisms: ['PLAIN', 'LOGIN'], users } });
    const { store } = await tempStore();
    await save(store, dedicated(smtp.port, {}, { method: 'smtp-auth', mechanism: 'CRAM-MD5', account: SMTP_USER, password: SMTP_PASSWORD }));
    const error = await failure(createSystemMailer({ store }).send(PHONE_MEMO));
    expect(error).toMatchObject({ name: 'SystemMailDeliveryError', phase: 'auth', transient: false });
    expect((error as SystemMailDeliveryError).messages.ja).toContain('SMTP認証方式');
    // The password would have crossed the plaintext link with PLAIN or LOGIN.
    expect(smtp.sessions[0]?.commands.some((c) => c.startsWith('AUTH'))).toBe(false);
    expect(smtp.messages).toHaveLength(0);
  });

  it('reports a refused password as a permanent auth failure naming the fields to check', async () => {
    const smtp = await smtpServer({ auth: { mechanisms: ['CRAM-MD5'], users: { [SMTP_USER]: 'another-password' } } });
    const { store } = await tempStore();
    await save(store, dedicated(smtp.port, {}, { method: 'smtp-auth', mechanism: 'CRAM-MD5', account: SMTP_USER, password: SMTP_PASSWORD }));
    const error = await failure(createSystemMailer({ store }).send(PHONE_MEMO));
    expect(error).toBeInstanceOf(SystemMailDeliveryError);
    expect(error).toMatchObject({ phase: 'auth', transient: false, reply: { code: 535, enhancedCode: '5.7.8' } });
    expect((error as SystemMailDeliveryError).messages.ja).toContain('送信用パスワード');
    expect(smtp.messages).toHaveLength(0);
    expectNoSecret(error, [SMTP_PASSWORD]);
  });

  it('uses the mail feature server registered in the registry, with the account stored in the settings', async () => {
    const smtp = await smtpServer({ implicitTls: true, auth: { mechanisms: ['PLAIN', 'CRAM-MD5'], users, required: true } });
    const { store } = await tempStore();
    await store.mailServers.add({
      id: 'mx',
      name: 'Mail feature server',
      smtp: { host: '127.0.0.1', port: smtp.port, encryption: 'tls', timeoutSeconds: 20 },
      smtpAuth: true,
    });
    await save(store, { use: true, address: ADDRESS, server: { type: 'mail-feature', serverId: 'mx', account: SMTP_USER, password: SMTP_PASSWORD } });
    await createSystemMailer({ store, tls: TLS }).send(PHONE_MEMO);
    expect(smtp.sessions[0]).toMatchObject({ secure: true, authenticatedAs: SMTP_USER });
    expect(smtp.messages).toHaveLength(1);
  });
});

describe('encryption as configured', () => {
  it('uses implicit TLS for TLSを使用する, verifying the certificate against the CA given', async () => {
    const smtp = await smtpServer({ implicitTls: true });
    const { store } = await tempStore();
    await save(store, dedicated(smtp.port, { encryption: 'tls' }));
    await createSystemMailer({ store, tls: TLS }).send(PHONE_MEMO);
    expect(smtp.sessions[0]?.secure).toBe(true);
  });

  it('refuses a certificate it cannot verify: a TLS delivery error, not a silent downgrade', async () => {
    const smtp = await smtpServer({ implicitTls: true, certificate: tlsFixtures.unknownCa });
    const { store } = await tempStore();
    await save(store, dedicated(smtp.port, { encryption: 'tls' }));
    const error = await failure(createSystemMailer({ store, tls: TLS }).send(PHONE_MEMO));
    expect(error).toMatchObject({ name: 'SystemMailDeliveryError', phase: 'connect', transient: false });
    expect((error as SystemMailDeliveryError).messages.ja).toContain('TLS');
    expect(smtp.messages).toHaveLength(0);
  });

  it('requires STARTTLS for STARTTLSを使用する and never continues in plaintext', async () => {
    const smtp = await smtpServer({ starttls: false });
    const { store } = await tempStore();
    await save(store, dedicated(smtp.port, { encryption: 'starttls' }));
    const error = await failure(createSystemMailer({ store, tls: TLS }).send(PHONE_MEMO));
    expect(error).toMatchObject({ name: 'SystemMailDeliveryError', phase: 'starttls', transient: false });
    expect((error as SystemMailDeliveryError).messages.en).toContain('STARTTLS');
    expect(smtp.sessions[0]?.commands).not.toContain('MAIL FROM:<notify@example.com>');
    expect(smtp.messages).toHaveLength(0);
  });

  it('upgrades with STARTTLS before anything else', async () => {
    const smtp = await smtpServer({ starttls: true, requireTls: true });
    const { store } = await tempStore();
    await save(store, dedicated(smtp.port, { encryption: 'starttls' }));
    await createSystemMailer({ store, tls: TLS }).send(PHONE_MEMO);
    expect(smtp.sessions[0]?.secure).toBe(true);
    expect(smtp.messages).toHaveLength(1);
  });
});

describe('POP before SMTP', () => {
  it('logs in, quits, waits the configured seconds, then starts the SMTP session (measured by the servers)', async () => {
    const { smtp, pop } = await popBeforeSmtpServers({}, 5);
    const { store } = await tempStore();
    await save(
      store,
      dedicated(smtp.port, {}, {
        method: 'pop-before-smtp',
        waitSeconds: 1,
        pop: { host: '127.0.0.1', port: pop.port, tls: false, apop: false, account: POP_USER, password: POP_PASSWORD, timeoutSeconds: 10 },
      }),
    );
    const result = await createSystemMailer({ store }).send(PHONE_MEMO);
    const quitAt = pop.sessions[0]?.quitAt;
    expect(quitAt).toBeDefined();
    expect(smtp.sessions[0]?.startedAt).toBeGreaterThanOrEqual((quitAt ?? 0) + 1000);
    expect(pop.sessions[0]?.method).toBe('user');
    expect(smtp.messages).toHaveLength(1);
    // No TLS and no APOP: the password went in clear, by the administrator's choice.
    expect(result.warnings.map((w) => w.code)).toEqual(['pop-password.plaintext']);
    expect(transcriptText(result.transcript)).toMatch(/pop3 client PASS <redacted>[\s\S]*mailer info waiting 1 s[\s\S]*smtp client EHLO/);
    expectNoSecret(result, [POP_PASSWORD]);
  });

  it('uses APOP alone when set', async () => {
    const { smtp, pop } = await popBeforeSmtpServers({ apop: true });
    const { store } = await tempStore();
    const sleeps: number[] = [];
    await save(
      store,
      dedicated(smtp.port, {}, {
        method: 'pop-before-smtp',
        waitSeconds: 2,
        pop: { host: '127.0.0.1', port: pop.port, tls: false, apop: true, account: POP_USER, password: POP_PASSWORD, timeoutSeconds: 10 },
      }),
    );
    const result = await createSystemMailer({ store, sleep: async (ms) => void sleeps.push(ms) }).send(PHONE_MEMO);
    expect(pop.sessions[0]?.method).toBe('apop');
    expect(sleeps).toEqual([2000]);
    expect(result.warnings).toEqual([]);
    expect(smtp.messages).toHaveLength(1);
  });

  it('never falls back to USER/PASS when the POP server has no APOP timestamp', async () => {
    const { smtp, pop } = await popBeforeSmtpServers({ apop: false });
    const { store } = await tempStore();
    await save(
      store,
      dedicated(smtp.port, {}, {
        method: 'pop-before-smtp',
        waitSeconds: 0,
        pop: { host: '127.0.0.1', port: pop.port, tls: false, apop: true, account: POP_USER, password: POP_PASSWORD, timeoutSeconds: 10 },
      }),
    );
    const error = await failure(createSystemMailer({ store }).send(PHONE_MEMO));
    expect(error).toMatchObject({ name: 'SystemMailDeliveryError', phase: 'pop-before-smtp', transient: false });
    expect((error as SystemMailDeliveryError).messages.ja).toContain('APOP');
    expect(pop.sessions[0]?.commands.some((c) => c.startsWith('USER') || c.startsWith('PASS'))).toBe(false);
    expect(smtp.sessions).toHaveLength(0);
  });

  it('logs in over implicit TLS on the configured port when TLSの使用 is set', async () => {
    const { smtp, pop } = await popBeforeSmtpServers({ implicitTls: true });
    const { store } = await tempStore();
    await save(
      store,
      dedicated(smtp.port, {}, {
        method: 'pop-before-smtp',
        waitSeconds: 0,
        pop: { host: '127.0.0.1', port: pop.port, tls: true, apop: false, account: POP_USER, password: POP_PASSWORD, timeoutSeconds: 10 },
      }),
    );
    const result = await createSystemMailer({ store, tls: TLS }).send(PHONE_MEMO);
    expect(pop.sessions[0]).toMatchObject({ secure: true, method: 'user' });
    expect(result.warnings).toEqual([]);
    expect(smtp.messages).toHaveLength(1);
  });

  it('reports a refused POP login as a pop-before-smtp failure and never contacts the SMTP server', async () => {
    const { smtp, pop } = await popBeforeSmtpServers();
    const { store } = await tempStore();
    await save(
      store,
      dedicated(smtp.port, {}, {
        method: 'pop-before-smtp',
        waitSeconds: 0,
        pop: { host: '127.0.0.1', port: pop.port, tls: false, apop: false, account: POP_USER, password: 'wrong-password-789', timeoutSeconds: 10 },
      }),
    );
    const error = await failure(createSystemMailer({ store }).send(PHONE_MEMO));
    expect(error).toMatchObject({ name: 'SystemMailDeliveryError', phase: 'pop-before-smtp', transient: false });
    expect((error as SystemMailDeliveryError).reply?.lines[0]).toContain('-ERR');
    expect((error as SystemMailDeliveryError).messages.ja).toContain('受信用パスワード');
    expect(smtp.sessions).toHaveLength(0);
    expectNoSecret(error, ['wrong-password-789']);
  });

  it('shows the relay refusal the server gives when no POP login happened', async () => {
    const { smtp } = await popBeforeSmtpServers();
    const { store } = await tempStore();
    await save(store, dedicated(smtp.port));
    const error = await failure(createSystemMailer({ store }).send(PHONE_MEMO));
    expect(error).toMatchObject({ name: 'SystemMailDeliveryError', phase: 'rcpt', transient: false, reply: { code: 554, enhancedCode: '5.7.1' } });
    expect((error as SystemMailDeliveryError).messages.ja).toContain('中継を許可しませんでした');
    expect((error as SystemMailDeliveryError).messages.en).toContain('POP before SMTP');
    expect(smtp.messages).toHaveLength(0);
  });

  it('turns an abort during the wait into a pop-before-smtp delivery error and never opens the SMTP session', async () => {
    const { smtp, pop } = await popBeforeSmtpServers();
    const { store } = await tempStore();
    await save(
      store,
      dedicated(smtp.port, {}, {
        method: 'pop-before-smtp',
        waitSeconds: 10,
        pop: { host: '127.0.0.1', port: pop.port, tls: false, apop: true, account: POP_USER, password: POP_PASSWORD, timeoutSeconds: 10 },
      }),
    );
    const controller = new AbortController();
    const mailer = createSystemMailer({
      store,
      signal: controller.signal,
      onTranscript: (entry) => {
        // The wait has begun: abort it (the real timer of Node, not an injected sleep).
        if (entry.protocol === 'mailer' && entry.text.startsWith('waiting')) controller.abort();
      },
    });
    const error = await failure(mailer.send(PHONE_MEMO));
    expect(error).toBeInstanceOf(SystemMailDeliveryError);
    expect(error).toMatchObject({ phase: 'pop-before-smtp', transient: false });
    expect((error as SystemMailDeliveryError).messages.ja).toContain('送信までの待ち時間');
    expect((error as SystemMailDeliveryError).messages.en).toContain('nothing was sent');
    expect(pop.sessions[0]?.quitAt).toBeDefined();
    expect(smtp.sessions).toHaveLength(0);
  });

  it('turns an abort during the POP login or the SMTP session into a delivery error saying nothing was sent', async () => {
    const silentPop = await popServer({ script: [{ command: 'CONNECT', action: 'silent' }] });
    const silentSmtp = await smtpServer({ script: [{ command: 'CONNECT', action: 'silent' }] });
    const popStore = (await tempStore()).store;
    const smtpStore = (await tempStore()).store;
    await save(
      popStore,
      dedicated(silentSmtp.port, {}, {
        method: 'pop-before-smtp',
        waitSeconds: 0,
        pop: { host: '127.0.0.1', port: silentPop.port, tls: false, apop: false, account: POP_USER, password: POP_PASSWORD, timeoutSeconds: 60 },
      }),
    );
    await save(smtpStore, dedicated(silentSmtp.port, { timeoutSeconds: 60 }));
    const popAbort = new AbortController();
    const smtpAbort = new AbortController();
    const popSend = failure(createSystemMailer({ store: popStore, signal: popAbort.signal }).send(PHONE_MEMO));
    const smtpSend = failure(createSystemMailer({ store: smtpStore, signal: smtpAbort.signal }).send(PHONE_MEMO));
    // Abort once each server holds the connection, waiting for a greeting that never comes.
    await vi.waitFor(() => expect(silentPop.sessions).toHaveLength(1));
    popAbort.abort();
    await vi.waitFor(() => expect(silentSmtp.sessions).toHaveLength(1));
    smtpAbort.abort();
    const [popError, smtpError] = await Promise.all([popSend, smtpSend]);
    expect(popError).toMatchObject({ name: 'SystemMailDeliveryError', phase: 'pop-before-smtp', transient: false });
    expect((popError as SystemMailDeliveryError).messages.ja).toContain('中止');
    expect((popError as SystemMailDeliveryError).messages.en).toContain('aborted');
    expect(smtpError).toMatchObject({ name: 'SystemMailDeliveryError', transient: false });
    expect((smtpError as SystemMailDeliveryError).messages.en).toContain('aborted');
    // The POP login never completed, so no SMTP session was opened for it.
    expect(silentSmtp.sessions).toHaveLength(1);
  });

  it('also reports an abort when an injected sleep returns without looking at the signal', async () => {
    const { smtp, pop } = await popBeforeSmtpServers({ apop: true });
    const { store } = await tempStore();
    await save(
      store,
      dedicated(smtp.port, {}, {
        method: 'pop-before-smtp',
        waitSeconds: 3,
        pop: { host: '127.0.0.1', port: pop.port, tls: false, apop: true, account: POP_USER, password: POP_PASSWORD, timeoutSeconds: 10 },
      }),
    );
    const controller = new AbortController();
    const mailer = createSystemMailer({ store, signal: controller.signal, sleep: async () => controller.abort() });
    const result = await mailer.testConnection();
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject({ name: 'SystemMailDeliveryError', phase: 'pop-before-smtp' });
    expect(smtp.sessions).toHaveLength(0);
  });

  it('advises checking the POP settings when the relay is refused after a POP login', async () => {
    // A window of 0 s: the relay has closed again by the time the SMTP session starts.
    const { smtp, pop } = await popBeforeSmtpServers({}, 0);
    const { store } = await tempStore();
    await save(
      store,
      dedicated(smtp.port, {}, {
        method: 'pop-before-smtp',
        waitSeconds: 1,
        pop: { host: '127.0.0.1', port: pop.port, tls: false, apop: false, account: POP_USER, password: POP_PASSWORD, timeoutSeconds: 10 },
      }),
    );
    const error = await failure(createSystemMailer({ store }).send(PHONE_MEMO));
    expect(error).toMatchObject({ phase: 'rcpt', reply: { code: 554 } });
    expect((error as SystemMailDeliveryError).messages.ja).toContain('送信までの待ち時間');
  });
});

describe('timeouts as configured', () => {
  it('fails with a transient timeout within the configured seconds when a server goes silent (SMTP and POP)', async () => {
    const silentSmtp = await smtpServer({ script: [{ command: 'CONNECT', action: 'silent' }] });
    const silentPop = await popServer({ script: [{ command: 'CONNECT', action: 'silent' }] });
    const smtpStore = (await tempStore()).store;
    const popStore = (await tempStore()).store;
    await save(smtpStore, dedicated(silentSmtp.port));
    await save(
      popStore,
      dedicated(silentSmtp.port, {}, {
        method: 'pop-before-smtp',
        waitSeconds: 0,
        pop: { host: '127.0.0.1', port: silentPop.port, tls: false, apop: false, account: POP_USER, password: POP_PASSWORD, timeoutSeconds: 10 },
      }),
    );
    const [smtpError, popError] = await Promise.all([
      failure(createSystemMailer({ store: smtpStore }).send(PHONE_MEMO)),
      failure(createSystemMailer({ store: popStore }).send(PHONE_MEMO)),
    ]);
    expect(smtpError).toMatchObject({ name: 'SystemMailDeliveryError', phase: 'greeting', transient: true });
    expect((smtpError as SystemMailDeliveryError).messages.ja).toContain('10秒以内に応答しませんでした');
    expect(popError).toMatchObject({ name: 'SystemMailDeliveryError', phase: 'pop-before-smtp', transient: true });
    expect((popError as SystemMailDeliveryError).messages.en).toContain('within 10 seconds');
  }, 30_000);
});

describe('errors before any connection', () => {
  it('refuses to send when the account is set to 使用しない', async () => {
    const smtp = await smtpServer();
    const { store } = await tempStore();
    await save(store, { ...(dedicated(smtp.port) as object), use: false });
    const mailer = createSystemMailer({ store });
    expect(await failure(mailer.send(PHONE_MEMO))).toBeInstanceOf(SystemMailDisabledError);
    expect(await failure(mailer.testConnection())).toBeInstanceOf(SystemMailDisabledError);
    expect(smtp.sessions).toHaveLength(0);
  });

  it('refuses to send before any settings are saved', async () => {
    const { store } = await tempStore();
    const error = await failure(createSystemMailer({ store }).send(PHONE_MEMO));
    expect(error).toBeInstanceOf(SystemMailConfigError);
    expect((error as SystemMailConfigError).messages.ja).toContain('設定されていません');
  });

  it('reports stored settings that no longer hold (their mail feature server was removed) with the issues', async () => {
    const { store } = await tempStore();
    await store.mailServers.add({ id: 'mx', name: 'MX', smtp: { host: '127.0.0.1', port: 25, encryption: 'none', timeoutSeconds: 10 }, smtpAuth: false });
    await save(store, { use: true, address: ADDRESS, server: { type: 'mail-feature', serverId: 'mx' } });
    await store.mailServers.remove('mx');
    const error = await failure(createSystemMailer({ store }).send(PHONE_MEMO));
    expect(error).toBeInstanceOf(SystemMailConfigError);
    expect((error as SystemMailConfigError).issues?.map((i) => [i.path, i.code])).toEqual([['server.serverId', 'server-id.unknown']]);
  });

  it('refuses an invalid recipient before connecting', async () => {
    const smtp = await smtpServer();
    const { store } = await tempStore();
    await save(store, dedicated(smtp.port));
    const error = await failure(createSystemMailer({ store }).send({ ...PHONE_MEMO, to: 'not an address' }));
    expect(error).toMatchObject({ name: 'MessageCompositionError', reason: 'address-invalid' });
    expect(smtp.sessions).toHaveLength(0);
  });

  it('wraps a refused connection as a transient connect failure', async () => {
    const smtp = await smtpServer();
    const port = smtp.port;
    await smtp.close();
    const { store } = await tempStore();
    await save(store, dedicated(port));
    const error = await failure(createSystemMailer({ store }).send(PHONE_MEMO));
    expect(error).toMatchObject({ name: 'SystemMailDeliveryError', phase: 'connect', transient: true });
    expect((error as SystemMailDeliveryError).messages.ja).toContain(`127.0.0.1:${port} に接続できません`);
    expect((error as SystemMailDeliveryError).cause).toBeInstanceOf(Error);
  });

  it('reports a refused message with the reply, transient for 4xx', async () => {
    const smtp = await smtpServer({ script: [{ command: 'DATA-END', reply: '451 4.3.0 Try again later' }] });
    const { store } = await tempStore();
    await save(store, dedicated(smtp.port));
    const error = await failure(createSystemMailer({ store }).send(PHONE_MEMO));
    expect(error).toMatchObject({ name: 'SystemMailDeliveryError', phase: 'data', transient: true, reply: { code: 451 } });
  });
});

describe('testConnection', () => {
  it('runs POP login, EHLO, STARTTLS and AUTH, then QUIT, without sending, and returns the redacted transcript', async () => {
    const pop = await popServer({ implicitTls: true });
    const smtp = await smtpServer({ starttls: true, auth: { mechanisms: ['CRAM-MD5'], users } });
    const { store } = await tempStore();
    // SMTP AUTH and POP before SMTP are exclusive: test each path.
    await save(store, dedicated(smtp.port, { encryption: 'starttls' }, { method: 'smtp-auth', mechanism: 'CRAM-MD5', account: SMTP_USER, password: SMTP_PASSWORD }));
    const mailer = createSystemMailer({ store, tls: TLS });
    const result = await mailer.testConnection();
    expect(result.ok).toBe(true);
    expect(result.error).toBeUndefined();
    const text = transcriptText(result.transcript);
    expect(text).toContain('smtp client STARTTLS');
    expect(text).toContain('smtp client AUTH CRAM-MD5');
    expect(text).toContain('smtp client QUIT');
    expect(smtp.sessions[0]?.authenticatedAs).toBe(SMTP_USER);
    expect(smtp.messages).toHaveLength(0);
    expectNoSecret(result, [SMTP_PASSWORD]);

    await save(
      store,
      dedicated(smtp.port, { encryption: 'starttls' }, {
        method: 'pop-before-smtp',
        waitSeconds: 0,
        pop: { host: '127.0.0.1', port: pop.port, tls: true, apop: false, account: POP_USER, password: POP_PASSWORD, timeoutSeconds: 10 },
      }),
    );
    const popResult = await mailer.testConnection();
    expect(popResult.ok).toBe(true);
    expect(transcriptText(popResult.transcript)).toMatch(/pop3 client USER popper[\s\S]*pop3 client QUIT[\s\S]*smtp client EHLO/);
    expect(pop.sessions[0]?.quitAt).toBeDefined();
    expectNoSecret(popResult, [POP_PASSWORD]);
  });

  it('returns a failure with the delivery error instead of throwing it', async () => {
    const smtp = await smtpServer({ auth: { mechanisms: ['CRAM-MD5'], users: { [SMTP_USER]: 'other' } } });
    const { store } = await tempStore();
    await save(store, dedicated(smtp.port, {}, { method: 'smtp-auth', mechanism: 'CRAM-MD5', account: SMTP_USER, password: SMTP_PASSWORD }));
    const result = await createSystemMailer({ store }).testConnection();
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject({ name: 'SystemMailDeliveryError', phase: 'auth' });
    expect(transcriptText(result.transcript)).toContain('535');
    expectNoSecret(result, [SMTP_PASSWORD]);
    expect(inspect(result.error)).not.toContain(SMTP_PASSWORD);
  });
});
