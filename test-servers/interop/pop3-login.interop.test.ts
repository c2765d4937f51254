/**
 * POP3 logins against Dovecot: every security mode × USER/PASS, APOP and each
 * SASL mechanism × every password user; then the refusals a user meets.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { Pop3AuthError, Pop3Client, Pop3TimeoutError, type Pop3LoginOptions } from '@sysmail/pop3-client';
import { cell, type MatrixMode } from './support/matrix-cells.js';
import {
  FAILING_LOGIN_ADDRESS,
  PASSWORD_USERS,
  TIMEOUTS,
  TranscriptRecorder,
  freshLoopbackAddress,
  newToken,
  popOptions,
  realUser,
  requireRealServers,
} from './support/harness.js';

const servers = requireRealServers();
const clients: Pop3Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

async function connect(options: ReturnType<typeof popOptions>): Promise<Pop3Client> {
  const client = await Pop3Client.connect(options);
  clients.push(client);
  return client;
}

const MODES: { mode: MatrixMode; listener: 'plain' | 'pop3s'; security: 'starttls' | 'tls' | 'none' }[] = [
  { mode: 'STARTTLS', listener: 'plain', security: 'starttls' },
  { mode: 'Implicit TLS', listener: 'pop3s', security: 'tls' },
  { mode: 'Plaintext', listener: 'plain', security: 'none' },
];

/** The login methods, each with the matrix row suffix, the login options and whether it shows the password on the wire. */
const METHODS: { row: string; login: Pick<Pop3LoginOptions, 'method'> & { mechanism?: string }; clear: boolean }[] = [
  { row: 'USER/PASS', login: { method: 'user' }, clear: true },
  { row: 'APOP', login: { method: 'apop' }, clear: false },
  { row: 'PLAIN', login: { method: 'sasl', mechanism: 'PLAIN' }, clear: true },
  { row: 'LOGIN', login: { method: 'sasl', mechanism: 'LOGIN' }, clear: true },
  { row: 'CRAM-MD5', login: { method: 'sasl', mechanism: 'CRAM-MD5' }, clear: false },
  { row: 'DIGEST-MD5', login: { method: 'sasl', mechanism: 'DIGEST-MD5' }, clear: false },
];

for (const { mode, listener, security } of MODES) {
  describe(`${mode} ${security}`, () => {
    METHODS.forEach(({ row, login, clear }, index) => {
      test.for(PASSWORD_USERS)(`${cell(`${mode} + ${row}`, 'POP3')} user %s: login, STAT, QUIT`, async (name, { onTestFailed }) => {
        const user = realUser(servers, name);
        const recorder = new TranscriptRecorder(onTestFailed, `POP3 ${mode} ${row} ${name}`);
        const client = await connect({
          ...popOptions(servers, servers.pop3[listener], security, recorder),
          allowPlaintextAuth: security === 'none' && clear,
          // Each method logs in from its own loopback address: a failure of one must not slow the others down by Dovecot's per-IP penalty.
          localAddress: `127.0.1.${index + 1}`,
        });
        expect(client.secure).toBe(security !== 'none');
        await client.login({ username: user.username, password: user.password, ...login });
        expect(client.authenticated).toBe(true);
        const stat = await client.stat();
        expect(stat.count).toBeGreaterThanOrEqual(0);
        await client.quit();
        expect(recorder.text()).not.toContain(user.password);
      });
    });
  });
}

describe('method chosen by the client', () => {
  test.for(PASSWORD_USERS)(`${cell('Auto-selected mechanism (no mechanism given)', 'POP3')} user %s over POP3S: method auto logs in`, async (name, { onTestFailed }) => {
    const user = realUser(servers, name);
    const recorder = new TranscriptRecorder(onTestFailed, `POP3 auto ${name}`);
    const client = await connect({ ...popOptions(servers, servers.pop3.pop3s, 'tls', recorder), localAddress: `127.0.1.${10 + PASSWORD_USERS.indexOf(name)}` });
    await client.login({ username: user.username, password: user.password });
    expect(client.authenticated).toBe(true);
    await client.quit();
  });
});

describe('refusals', () => {
  test.for(['user', 'PLAIN', 'LOGIN'])(`${cell('Plaintext password refused without allowPlaintextAuth', 'POP3')} %s on the plaintext link sends nothing`, async (method, { onTestFailed }) => {
    const user = realUser(servers, 'ascii');
    const recorder = new TranscriptRecorder(onTestFailed, `POP3 plaintext ${method}`);
    const client = await connect(popOptions(servers, servers.pop3.plain, 'none', recorder));
    const login: Pop3LoginOptions =
      method === 'user' ? { username: user.username, password: user.password, method: 'user' } : { username: user.username, password: user.password, method: 'sasl', mechanism: method };
    const failure = await client.login(login).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Pop3AuthError);
    expect(recorder.text()).not.toMatch(/C: (USER|PASS|AUTH)/);
    // 'auto' picks what keeps the password off the wire on this link.
    await client.login({ username: user.username, password: user.password });
    expect(recorder.text()).toMatch(/C: (AUTH (CRAM-MD5|DIGEST-MD5)|APOP )/);
    await client.quit();
  });

  test(`${cell('Wrong password: typed auth error', 'POP3')} Dovecot's -ERR [AUTH] becomes Pop3AuthError with its code`, async ({ onTestFailed }) => {
    const user = realUser(servers, 'euro');
    const recorder = new TranscriptRecorder(onTestFailed, 'POP3 wrong password');
    const client = await connect({ ...popOptions(servers, servers.pop3.pop3s, 'tls', recorder), localAddress: FAILING_LOGIN_ADDRESS.pop3 });
    const failure = await client.login({ username: user.username, password: '€uro-wrong', method: 'sasl', mechanism: 'PLAIN' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Pop3AuthError);
    const error = failure as Pop3AuthError;
    expect(error.phase).toBe('auth');
    expect(error.code).toBe('AUTH');
    expect(error.transient).toBe(false);
    expect(error.message).not.toContain('€uro-wrong');
    expect(recorder.text()).not.toContain('€uro-wrong');
    await client.quit();
  });

  test(`${cell('Login held back by the server penalty: typed timeout', 'POP3')} after a failure, Dovecot delays the next login from that address; a short deadline ends it with Pop3TimeoutError`, async ({ onTestFailed }) => {
    const user = realUser(servers, 'ascii');
    const recorder = new TranscriptRecorder(onTestFailed, 'POP3 penalty');
    const options = { ...popOptions(servers, servers.pop3.pop3s, 'tls', recorder), localAddress: freshLoopbackAddress() };
    const first = await connect(options);
    await expect(first.login({ username: user.username, password: newToken(), method: 'sasl', mechanism: 'PLAIN' })).rejects.toBeInstanceOf(Pop3AuthError);
    await first.quit();
    const second = await connect({ ...options, timeouts: { ...TIMEOUTS, command: 1_000 } });
    const failure = await second.login({ username: user.username, password: user.password, method: 'sasl', mechanism: 'PLAIN' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Pop3TimeoutError);
    expect(failure).toMatchObject({ phase: 'auth', transient: true });
  });
});
