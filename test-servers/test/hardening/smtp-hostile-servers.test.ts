import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';
import {
  SmtpAuthError,
  SmtpCapabilityError,
  SmtpClient,
  SmtpConnectionError,
  SmtpError,
  SmtpProtocolError,
  SmtpReplyError,
  SmtpTimeoutError,
  SmtpTlsError,
  type SmtpClientOptions,
} from '@sysmail/smtp-client';
import { startFakeSmtpServer, tlsFixtures, type CertificatePair, type FakeSmtpServer, type FakeSmtpServerOptions } from '@sysmail/test-servers';
import type { TranscriptEntry } from '@sysmail/wire';
import { keepEvidence } from './harness.js';
import { startHandshakeDropper, startRawServer, type RawServer } from './raw-server.js';

const PASSWORD = 'hostile-secret-41d8';
const USER = 'app@example.com';
const ENVELOPE = { from: USER, to: ['a@example.org', 'b@example.org'] };
const MESSAGE = 'Subject: memo\r\n\r\nA phone memo.\r\n';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fake(options: FakeSmtpServerOptions): Promise<FakeSmtpServer> {
  const server = await startFakeSmtpServer({ auth: { mechanisms: ['PLAIN', 'CRAM-MD5'], users: { [USER]: PASSWORD } }, ...options });
  cleanups.push(() => server.close());
  return server;
}

async function raw(script: Parameters<typeof startRawServer>[0]): Promise<RawServer> {
  const server = await startRawServer(script);
  cleanups.push(() => server.close());
  return server;
}

interface Attempt {
  error: SmtpError;
  transcript: TranscriptEntry[];
  sent: boolean;
}

/** Connects, authenticates and sends; returns the typed error it must end with, and the transcript. */
async function attempt(port: number, options: Partial<SmtpClientOptions> = {}, mechanism?: string): Promise<Attempt> {
  const transcript: TranscriptEntry[] = [];
  let client: SmtpClient | undefined;
  let sent = false;
  try {
    client = await SmtpClient.connect({
      host: '127.0.0.1',
      port,
      security: 'starttls',
      clientName: 'client.example',
      tls: { ca: tlsFixtures.ca },
      timeouts: 2_000,
      onTranscript: (entry) => transcript.push(entry),
      ...options,
    });
    await client.authenticate({ username: USER, password: PASSWORD, ...(mechanism === undefined ? {} : { mechanism }) });
    await client.send(ENVELOPE, MESSAGE);
    sent = true;
  } catch (error) {
    if (!(error instanceof SmtpError)) throw error;
    expect(JSON.stringify(transcript)).not.toContain(PASSWORD);
    expect(error.message).not.toContain(PASSWORD);
    keepEvidence(`smtp-hostile-${expect.getState().currentTestName ?? 'unnamed'}`, { error, transcript });
    return { error, transcript, sent };
  } finally {
    client?.close();
  }
  throw new Error('the session succeeded against a hostile server');
}

function expectError(error: SmtpError, type: abstract new (...args: never[]) => SmtpError, phase: string, transient: boolean): void {
  expect(error, `${error.name}: ${error.message}`).toBeInstanceOf(type);
  expect({ phase: error.phase, transient: error.transient }).toEqual({ phase, transient });
}

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('SMTP client against hostile servers', () => {
  test('plaintext injected after the STARTTLS reply: protocol error, no AUTH ever sent', async () => {
    const server = await fake({ starttls: true, injectAfterStarttls: '250-AUTH PLAIN\r\n' });
    const { error } = await attempt(server.port);
    expectError(error, SmtpProtocolError, 'starttls', false);
    expect(server.sessions[0]?.commands.some((command) => /^AUTH/i.test(command))).toBe(false);
  });

  test('STARTTLS stripped from the capabilities while TLS is required: capability error, no AUTH', async () => {
    const server = await fake({ starttls: false });
    const { error } = await attempt(server.port);
    expectError(error, SmtpCapabilityError, 'starttls', false);
    expect(server.sessions[0]?.commands).toEqual(['EHLO client.example']);
  });

  test('a reply line of 10 MB: protocol error at the line bound, nothing buffered beyond it', async () => {
    const line = Buffer.concat([Buffer.from('250-'), Buffer.alloc(10 * 1024 * 1024, 0x41), Buffer.from('\r\n250 OK\r\n')]);
    const server = await fake({ script: [{ command: 'EHLO', action: 'garbage', bytes: line }] });
    const { error } = await attempt(server.port);
    expectError(error, SmtpProtocolError, 'ehlo', false);
    expect(error.message).toMatch(/longer than 4096 bytes/);
  });

  test('an endless multi-line reply (250- forever): protocol error at the reply bound', async () => {
    const server = await raw(async (connection, readLine, isOpen) => {
      await connection.send('220 endless.test ESMTP\r\n');
      await readLine();
      // Writes until the client hangs up; each write waits for the socket to drain.
      for (let i = 0; isOpen(); i++) await connection.send(`250-KEYWORD${i} ${'x'.repeat(60)}\r\n`);
    });
    const { error } = await attempt(server.port);
    expectError(error, SmtpProtocolError, 'ehlo', false);
    expect(error.message).toMatch(/more than 1000 lines|larger than 65536 bytes/);
  });

  test('inconsistent codes within a multi-line reply: protocol error', async () => {
    const server = await fake({ script: [{ command: 'EHLO', reply: '250-fake.test\r\n251-PIPELINING\r\n250 STARTTLS' }] });
    const { error } = await attempt(server.port);
    expectError(error, SmtpProtocolError, 'ehlo', false);
  });

  test('NUL and binary garbage as the greeting: protocol error', async () => {
    const server = await fake({ script: [{ command: 'CONNECT', action: 'garbage', bytes: Uint8Array.from([0x00, 0xff, 0xfe, 0x32, 0x00, 0x0d, 0x0a]) }] });
    const { error } = await attempt(server.port);
    expectError(error, SmtpProtocolError, 'greeting', false);
  });

  test('a greeting dripped one byte every 500 ms: the 1 s greeting deadline fires', async () => {
    // A raw server: the fake server's dripping session never ends once its client has gone (reported).
    const server = await raw(async (connection, _readLine, isOpen) => {
      for (const byte of Buffer.from('220 drip.test ESMTP\r\n')) {
        if (!isOpen()) return;
        await connection.send(Uint8Array.of(byte));
        await sleep(500);
      }
    });
    const { error } = await attempt(server.port, { timeouts: { greeting: 1_000 } });
    expectError(error, SmtpTimeoutError, 'greeting', true);
  });

  test('no reply after the final dot: the data deadline fires and the message is not reported sent', async () => {
    const server = await fake({ starttls: true, script: [{ command: 'DATA-END', action: 'silent' }] });
    const { error, sent } = await attempt(server.port, { timeouts: { command: 2_000, data: 300 } });
    expectError(error, SmtpTimeoutError, 'data', true);
    expect(sent).toBe(false);
  });

  test('an unsolicited 235 behind the EHLO reply is not taken as the answer to AUTH', async () => {
    const server = await fake({ script: [{ command: 'EHLO', reply: '250-f.test\r\n250 AUTH PLAIN\r\n235 2.7.0 Authentication successful' }] });
    const client = await SmtpClient.connect({ host: '127.0.0.1', port: server.port, security: 'none', clientName: 'client.example', timeouts: 2_000, allowPlaintextAuth: true });
    cleanups.push(() => client.close());
    const error = await client.authenticate({ username: USER, password: 'a-wrong-password', mechanism: 'PLAIN' }).then(
      () => new Error('authenticate() succeeded on a reply the server sent before AUTH'),
      (caught: unknown) => caught,
    );
    expect(error, String(error)).toBeInstanceOf(SmtpProtocolError);
    expect((error as SmtpProtocolError).phase).toBe('auth');
    expect(client.authenticatedAs).toBeUndefined();
    expect(server.sessions[0]?.commands.filter((command) => command.startsWith('AUTH'))).toEqual([]);
  });

  test('a CRAM-MD5 challenge that is not base64: auth error, no response sent', async () => {
    const server = await fake({ starttls: true, script: [{ command: 'AUTH', reply: '334 !!not*base64!!' }] });
    const { error } = await attempt(server.port, {}, 'CRAM-MD5');
    expect(error).toBeInstanceOf(SmtpError);
    expect(error.phase).toBe('auth');
    expect(error.transient).toBe(false);
    // Only the AUTH command, then at most the RFC 4954 cancel '*'.
    const afterAuth = server.sessions[0]?.commands.slice(server.sessions[0].commands.findIndex((c) => c.startsWith('AUTH')) + 1) ?? [];
    expect(afterAuth.filter((command) => command !== '*' && !/^(QUIT|RSET)$/.test(command))).toEqual([]);
  });

  test('a DIGEST-MD5 rspauth that is wrong: auth error, the session is not trusted', async () => {
    const challenge = 'realm="fake.test",nonce="OA6MG9tEQGm2hh",qop="auth",charset=utf-8,algorithm=md5-sess';
    const server = await raw(async (connection, readLine) => {
      await connection.send('220 digest.test ESMTP\r\n');
      await readLine();
      await connection.send('250-digest.test\r\n250 AUTH DIGEST-MD5\r\n');
      await readLine();
      await connection.send(`334 ${base64(challenge)}\r\n`);
      await readLine();
      await connection.send(`334 ${base64('rspauth=00000000000000000000000000000000')}\r\n`);
      while ((await readLine()) !== null) await connection.send('250 2.0.0 OK\r\n');
    });
    const { error } = await attempt(server.port, { security: 'none' }, 'DIGEST-MD5');
    expectError(error, SmtpAuthError, 'auth', false);
    expect(server.lines.some((line) => /^MAIL/i.test(line))).toBe(false);
  });

  test.each([
    ['after the reply to MAIL', { command: 'MAIL' as const, reply: '250 2.1.0 Ok\r\n250 2.1.5 Unsolicited' }],
    ['after the reply to RCPT, looking like the reply to DATA', { command: 'RCPT' as const, reply: '250 2.1.5 Ok\r\n354 Go ahead' }],
  ])('an extra unsolicited reply in a pipelined batch (%s): protocol error, never "sent", no RSET into the message', async (_, rule) => {
    const server = await fake({ starttls: true, script: [rule] });
    const { error, sent } = await attempt(server.port);
    expectError(error, SmtpProtocolError, 'data', false);
    expect(sent).toBe(false);
    expect(server.messages).toHaveLength(0);
    // Commands after DATA would land inside the message the server is reading.
    const commands = server.sessions[0]?.commands ?? [];
    expect(commands.slice(commands.indexOf('DATA') + 1)).toEqual([]);
  });

  test.each([
    ['STARTTLS', 'smtp', 'starttls'],
    ['implicit TLS', 'implicit', 'connect'],
  ] as const)('a server that hangs up in the middle of the %s handshake: a transient connection error, not a certificate problem', async (_, upgrade, phase) => {
    const server = await startHandshakeDropper(upgrade);
    cleanups.push(() => server.close());
    const { error } = await attempt(server.port, { security: upgrade === 'smtp' ? 'starttls' : 'tls' });
    expectError(error, SmtpConnectionError, phase, true);
    expect(error).not.toBeInstanceOf(SmtpTlsError);
    expect(server.lines.filter((line) => /^AUTH/i.test(line))).toEqual([]);
  });

  describe.each([
    ['another host', tlsFixtures.otherHost, /ERR_TLS_CERT_ALTNAME_INVALID|other/],
    ['an expired certificate', tlsFixtures.expired, /CERT_HAS_EXPIRED|expired/],
    ['an unknown CA', tlsFixtures.unknownCa, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER|trusted/],
  ] as [string, CertificatePair, RegExp][])('a certificate for %s', (_, certificate, reason) => {
    test('STARTTLS: TLS error, nothing sent after the failed handshake', async () => {
      const server = await fake({ starttls: true, certificate });
      const { error } = await attempt(server.port);
      expectError(error, SmtpTlsError, 'starttls', false);
      expect(error.message).toMatch(reason);
      expect(server.sessions[0]?.commands).toEqual(['EHLO client.example', 'STARTTLS']);
    });

    test('implicit TLS: TLS error, nothing sent at all', async () => {
      const server = await fake({ implicitTls: true, certificate });
      const { error } = await attempt(server.port, { security: 'tls' });
      expectError(error, SmtpTlsError, 'connect', false);
      expect(error.message).toMatch(reason);
      expect(server.sessions.flatMap((session) => session.commands)).toEqual([]);
    });
  });
});
