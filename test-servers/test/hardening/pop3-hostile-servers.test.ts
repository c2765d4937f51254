import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';
import {
  Pop3AuthError,
  Pop3Client,
  Pop3ConnectionError,
  Pop3Error,
  Pop3ProtocolError,
  Pop3TimeoutError,
  type Pop3ConnectOptions,
  type Pop3LoginOptions,
} from '@sysmail/pop3-client';
import { startFakePop3Server, tlsFixtures, type CertificatePair, type FakePop3Server, type FakePop3ServerOptions } from '@sysmail/test-servers';
import type { TranscriptEntry } from '@sysmail/wire';
import { keepEvidence } from './harness.js';
import { startHandshakeDropper, startRawServer, type RawServer } from './raw-server.js';

const USER = 'app';
const PASSWORD = 'hostile-secret-93b1';
const MESSAGE = 'Subject: memo\r\n\r\nA phone memo.\r\n';
/** The commands that carry a credential. */
const CREDENTIAL_COMMAND = /^(USER|PASS|APOP|AUTH)\b/i;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fake(options: FakePop3ServerOptions): Promise<FakePop3Server> {
  const server = await startFakePop3Server({ users: { [USER]: PASSWORD }, mailbox: [MESSAGE], ...options });
  cleanups.push(() => server.close());
  return server;
}

async function raw(script: Parameters<typeof startRawServer>[0]): Promise<RawServer> {
  const server = await startRawServer(script);
  cleanups.push(() => server.close());
  return server;
}

/** Connects, logs in, retrieves message 1; returns the typed error it must end with. */
async function attempt(port: number, options: Partial<Pop3ConnectOptions> = {}, login: Partial<Pop3LoginOptions> = {}): Promise<Pop3Error> {
  const transcript: TranscriptEntry[] = [];
  let client: Pop3Client | undefined;
  try {
    client = await Pop3Client.connect({
      host: '127.0.0.1',
      port,
      security: 'starttls',
      tls: { ca: tlsFixtures.ca },
      timeouts: 2_000,
      onTranscript: (entry) => transcript.push(entry),
      ...options,
    });
    await client.login({ username: USER, password: PASSWORD, ...login } as Pop3LoginOptions);
    await client.retrieve(1);
  } catch (error) {
    if (!(error instanceof Pop3Error)) throw error;
    expect(JSON.stringify(transcript)).not.toContain(PASSWORD);
    expect(error.message).not.toContain(PASSWORD);
    keepEvidence(`pop3-hostile-${expect.getState().currentTestName ?? 'unnamed'}`, { error, transcript });
    return error;
  } finally {
    await client?.close();
  }
  throw new Error('the session succeeded against a hostile server');
}

function expectError(error: Pop3Error, type: abstract new (...args: never[]) => Pop3Error, phase: string, transient: boolean): void {
  expect(error, `${error.name}: ${error.message}`).toBeInstanceOf(type);
  expect({ phase: error.phase, transient: error.transient }).toEqual({ phase, transient });
}

const credentialCommands = (server: FakePop3Server): string[] => server.sessions.flatMap((session) => session.commands).filter((command) => CREDENTIAL_COMMAND.test(command));

describe('POP3 client against hostile servers', () => {
  test('plaintext injected after the STLS reply: injection refused, no credential sent', async () => {
    const server = await fake({ stls: true, injectAfterStls: '+OK logged in\r\n' });
    const error = await attempt(server.port);
    expectError(error, Pop3ConnectionError, 'stls', false);
    // Caught before the handshake when the bytes came with the reply, or as the handshake failure they cause when they came after it.
    expect(['injection', 'tls']).toContain((error as Pop3ConnectionError).kind);
    expect(credentialCommands(server)).toEqual([]);
  });

  test('STLS stripped from the capabilities while TLS is required: refused, no credential sent', async () => {
    const server = await fake({ stls: false });
    const error = await attempt(server.port);
    expectError(error, Pop3ConnectionError, 'stls', false);
    expect(credentialCommands(server)).toEqual([]);
  });

  test('a status line of 10 MB: protocol error at the line bound', async () => {
    const server = await fake({ script: [{ command: 'CONNECT', action: 'garbage', bytes: Buffer.concat([Buffer.from('+OK '), Buffer.alloc(10 * 1024 * 1024, 0x41), Buffer.from('\r\n')]) }] });
    const error = await attempt(server.port);
    expectError(error, Pop3ProtocolError, 'greeting', false);
    expect((error as Pop3ProtocolError).reason).toBe('line-too-long');
  });

  test('an endless multi-line response (CAPA that never ends): protocol error at the response bound', async () => {
    const server = await raw(async (connection, readLine, isOpen) => {
      await connection.send('+OK endless\r\n');
      await readLine();
      await connection.send('+OK capabilities follow\r\n');
      for (let i = 0; isOpen(); i++) await connection.send(`X-CAPABILITY-${i} ${'x'.repeat(60)}\r\n`);
    });
    const error = await attempt(server.port);
    expectError(error, Pop3ProtocolError, 'stls', false);
    expect((error as Pop3ProtocolError).reason).toBe('response-too-large');
  });

  test('NUL and binary garbage as the greeting: protocol error', async () => {
    const server = await fake({ script: [{ command: 'CONNECT', action: 'garbage', bytes: Uint8Array.from([0x00, 0xff, 0x2b, 0x00, 0x0d, 0x0a]) }] });
    const error = await attempt(server.port);
    expectError(error, Pop3ProtocolError, 'greeting', false);
    expect((error as Pop3ProtocolError).reason).toBe('malformed-response');
  });

  test('a greeting dripped one byte every 500 ms: the 1 s greeting deadline fires', async () => {
    const server = await raw(async (connection, _readLine, isOpen) => {
      for (const byte of Buffer.from('+OK drip.test ready\r\n')) {
        if (!isOpen()) return;
        await connection.send(Uint8Array.of(byte));
        await sleep(500);
      }
    });
    const error = await attempt(server.port, { timeouts: { greeting: 1_000 } });
    expectError(error, Pop3TimeoutError, 'greeting', true);
  });

  test('APOP requested but the greeting has no timestamp: refused before sending anything', async () => {
    const server = await fake({ apop: false });
    const error = await attempt(server.port, { security: 'none' }, { method: 'apop' });
    expectError(error, Pop3AuthError, 'auth', false);
    expect(credentialCommands(server)).toEqual([]);
  });

  test('a RETR without its terminator: the data deadline fires, no truncated message returned', async () => {
    const server = await fake({ stls: true, script: [{ command: 'RETR', action: 'no-terminator' }] });
    const error = await attempt(server.port, { timeouts: { command: 2_000, data: 300 } });
    expectError(error, Pop3TimeoutError, 'retrieve', true);
  });

  test('[IN-USE]: a transient auth error carrying the code', async () => {
    const server = await fake({ stls: true, lockedUsers: [USER] });
    const error = await attempt(server.port, {}, { method: 'user' });
    expectError(error, Pop3AuthError, 'auth', true);
    expect(error.code).toBe('IN-USE');
  });

  test('[SYS/TEMP]: a transient auth error carrying the code', async () => {
    const server = await fake({ stls: true, script: [{ command: 'PASS', reply: '-ERR [SYS/TEMP] maildrop unavailable, try later' }] });
    const error = await attempt(server.port, {}, { method: 'user' });
    expectError(error, Pop3AuthError, 'auth', true);
    expect(error.code).toBe('SYS/TEMP');
  });

  test('an extra unsolicited response: the next command is not sent and does not take it as its answer', async () => {
    const server = await fake({ stls: true, script: [{ command: 'NOOP', reply: '+OK\r\n+OK message 1 deleted' }] });
    const client = await Pop3Client.connect({ host: '127.0.0.1', port: server.port, security: 'starttls', tls: { ca: tlsFixtures.ca }, timeouts: 2_000 });
    cleanups.push(() => client.close());
    await client.login({ username: USER, password: PASSWORD, method: 'user' });
    await client.noop();
    const error = await client.delete(1).then(
      () => new Error('DELE was answered by the unsolicited response'),
      (caught: unknown) => caught,
    );
    expect(error, String(error)).toBeInstanceOf(Pop3ProtocolError);
    expect((error as Pop3ProtocolError).reason).toBe('unexpected-response');
    expect(server.sessions[0]?.commands.filter((command) => command.startsWith('DELE'))).toEqual([]);
  });

  test('a CRAM-MD5 challenge that is not base64: auth error', async () => {
    const server = await fake({ stls: true, saslMechanisms: ['CRAM-MD5'], script: [{ command: 'AUTH', reply: '+ !!not*base64!!' }] });
    const error = await attempt(server.port, {}, { method: 'sasl', mechanism: 'CRAM-MD5' });
    expect(error).toBeInstanceOf(Pop3Error);
    expect({ phase: error.phase, transient: error.transient }).toEqual({ phase: 'auth', transient: false });
  });

  test.each([
    ['STLS', 'pop3', 'stls'],
    ['implicit TLS', 'implicit', 'connect'],
  ] as const)('a server that hangs up in the middle of the %s handshake: a transient connection error, not a certificate problem', async (_, upgrade, phase) => {
    const server = await startHandshakeDropper(upgrade);
    cleanups.push(() => server.close());
    const error = await attempt(server.port, { security: upgrade === 'pop3' ? 'starttls' : 'tls' });
    expectError(error, Pop3ConnectionError, phase, true);
    expect((error as Pop3ConnectionError).kind).not.toBe('tls');
    expect(server.lines.filter((line) => CREDENTIAL_COMMAND.test(line))).toEqual([]);
  });

  describe.each([
    ['another host', tlsFixtures.otherHost, /ERR_TLS_CERT_ALTNAME_INVALID|other/],
    ['an expired certificate', tlsFixtures.expired, /CERT_HAS_EXPIRED|expired/],
    ['an unknown CA', tlsFixtures.unknownCa, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER|trusted/],
  ] as [string, CertificatePair, RegExp][])('a certificate for %s', (_, certificate, reason) => {
    test('STLS: TLS error, nothing sent after the failed handshake', async () => {
      const server = await fake({ stls: true, certificate });
      const error = await attempt(server.port);
      expectError(error, Pop3ConnectionError, 'stls', false);
      expect((error as Pop3ConnectionError).kind).toBe('tls');
      expect(error.message).toMatch(reason);
      expect(server.sessions[0]?.commands).toEqual(['CAPA', 'STLS']);
    });

    test('implicit TLS: TLS error, nothing sent at all', async () => {
      const server = await fake({ implicitTls: true, certificate });
      const error = await attempt(server.port, { security: 'tls' });
      expectError(error, Pop3ConnectionError, 'connect', false);
      expect((error as Pop3ConnectionError).kind).toBe('tls');
      expect(error.message).toMatch(reason);
      expect(server.sessions.flatMap((session) => session.commands)).toEqual([]);
    });
  });
});
