import * as net from 'node:net';
import { describe, expect, test } from 'vitest';
import { tlsFixtures } from '@sysmail/test-servers';
import {
  SmtpAbortError,
  SmtpCapabilityError,
  SmtpClient,
  SmtpConnectionError,
  SmtpProtocolError,
  SmtpReplyError,
  SmtpTimeoutError,
  SmtpTlsError,
} from '../src/index.js';
import { connectTo, failure, fakeServer, onCleanup, text, transcriptSink } from './helpers.js';

describe('connecting', () => {
  test('reads the greeting and the EHLO capabilities, sends, and quits', async () => {
    const server = await fakeServer({ hostname: 'mx.test' });
    const client = await connectTo(server, { clientName: 'app.example.com' });
    expect(client.greeting.code).toBe(220);
    expect(client.capabilities).toMatchObject({ serverName: 'mx.test', pipelining: true, eightBitMime: true, smtpUtf8: true, maxSize: 10 * 1024 * 1024 });
    expect(client.secure).toBe(false);
    const result = await client.send({ from: 'app@example.com', to: ['a@example.org'] }, 'Subject: hi\r\n\r\nhello\r\n');
    expect(result.accepted).toEqual(['a@example.org']);
    expect(result.reply.code).toBe(250);
    await client.quit();
    await client.quit();
    expect(client.closed).toBe(true);
    expect(server.sessions[0]?.ehloName).toBe('app.example.com');
    expect(server.sessions[0]?.commands.at(-1)).toBe('QUIT');
    expect(text(server.messages[0]?.content ?? new Uint8Array())).toBe('Subject: hi\r\n\r\nhello\r\n');
  });

  test('defaults to a sane EHLO name', async () => {
    const server = await fakeServer();
    await connectTo(server);
    expect(server.sessions[0]?.ehloName).toMatch(/^(\[127\.0\.0\.1\]|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$/);
  });

  test('connects from the given local address', async () => {
    const server = await fakeServer();
    await connectTo(server, { localAddress: '127.0.0.1' });
    expect(server.sessions[0]?.remoteAddress).toMatch(/127\.0\.0\.1$/);
  });

  test('falls back to HELO when EHLO is refused, then sends one command at a time', async () => {
    const server = await fakeServer({ ehlo: false });
    const client = await connectTo(server);
    expect(client.capabilities.pipelining).toBe(false);
    await client.send({ from: 'a@example.com', to: ['b@example.com', 'c@example.com'] }, 'x');
    const session = server.sessions[0];
    expect(session?.commands.slice(0, 2).map((c) => c.split(' ')[0])).toEqual(['EHLO', 'HELO']);
    expect(session?.batches.every((batch) => batch.length === 1)).toBe(true);
  });

  test('refuses a 554 greeting with a reply error, after saying QUIT', async () => {
    const server = await fakeServer({ greeting: '554 5.3.2 no service for you' });
    const error = await failure(SmtpClient.connect({ host: '127.0.0.1', port: server.port, security: 'none' }));
    expect(error).toBeInstanceOf(SmtpReplyError);
    expect(error.phase).toBe('greeting');
    expect(error.transient).toBe(false);
    expect(error.reply?.enhancedCode).toBe('5.3.2');
    expect(server.sessions[0]?.commands).toEqual(['QUIT']);
  });

  test('reports a refused connection as a transient connection error', async () => {
    const server = await fakeServer();
    const port = server.port;
    await server.close();
    const error = await failure(SmtpClient.connect({ host: '127.0.0.1', port, security: 'none' }));
    expect(error).toBeInstanceOf(SmtpConnectionError);
    expect(error.phase).toBe('connect');
    expect(error.transient).toBe(true);
  });

  test('refuses bad options before connecting', async () => {
    await expect(SmtpClient.connect({ host: '127.0.0.1', clientName: 'bad name\r\n' })).rejects.toThrow(/clientName/);
    await expect(SmtpClient.connect({ host: '127.0.0.1', timeouts: -1 })).rejects.toThrow(/positive/);
  });
});

describe('TLS', () => {
  test('STARTTLS upgrades, discards the plaintext capabilities and says EHLO again', async () => {
    const sink = transcriptSink();
    const server = await fakeServer({ starttls: true, auth: { mechanisms: ['PLAIN'], users: { u: 'p' }, advertiseBeforeTls: false } });
    const client = await connectTo(server, { security: 'starttls', onTranscript: sink.onTranscript });
    expect(client.secure).toBe(true);
    expect(client.tlsDetails?.authorized).toBe(true);
    expect(client.capabilities.starttls).toBe(false);
    expect(client.capabilities.authMechanisms).toEqual(['PLAIN']);
    const commands = server.sessions[0]?.commands.map((c) => c.split(' ')[0]);
    expect(commands).toEqual(['EHLO', 'STARTTLS', 'EHLO']);
    expect(sink.entries.filter((e) => e.direction === 'info').map((e) => e.text).join('\n')).toMatch(/TLS established: TLSv1\.\d[\s\S]*Peer certificate: subject CN=localhost/);
    expect(server.sessions[0]?.secure).toBe(true);
  });

  test('implicit TLS defaults verification on and works with the test CA', async () => {
    const server = await fakeServer({ implicitTls: true });
    const client = await connectTo(server, { security: 'tls' });
    expect(client.secure).toBe(true);
    await client.send({ from: 'a@example.com', to: ['b@example.com'] }, 'x');
    expect(server.messages[0]?.session.secure).toBe(true);
  });

  test('security starttls fails when STARTTLS is not offered, without going on in plaintext', async () => {
    const server = await fakeServer({ starttls: false });
    const error = await failure(connectTo(server, { security: 'starttls' }));
    expect(error).toBeInstanceOf(SmtpCapabilityError);
    expect(error.phase).toBe('starttls');
    expect(server.sessions[0]?.commands.map((c) => c.split(' ')[0])).toEqual(['EHLO']);
  });

  test('security starttls fails when STARTTLS is refused', async () => {
    const server = await fakeServer({ starttls: true, starttlsReply: '454 4.7.0 TLS not available' });
    const error = await failure(connectTo(server, { security: 'starttls' }));
    expect(error).toBeInstanceOf(SmtpReplyError);
    expect(error.phase).toBe('starttls');
    expect(server.sessions[0]?.commands.map((c) => c.split(' ')[0])).toEqual(['EHLO', 'STARTTLS']);
  });

  test('plaintext injected after the STARTTLS reply closes the connection with a protocol error', async () => {
    const server = await fakeServer({ starttls: true, injectAfterStarttls: '250-PIPELINING\r\n250 AUTH PLAIN\r\n' });
    const error = await failure(connectTo(server, { security: 'starttls' }));
    expect(error).toBeInstanceOf(SmtpProtocolError);
    expect(error.phase).toBe('starttls');
    expect(error.message).toMatch(/injected/);
    expect(server.sessions[0]?.commands.map((c) => c.split(' ')[0])).toEqual(['EHLO', 'STARTTLS']);
  });

  describe.each([
    ['an unknown CA', tlsFixtures.unknownCa, /not signed by a trusted CA|self-signed|trusted/i],
    ['the wrong host', tlsFixtures.otherHost, /another name|servername/],
    ['an expired certificate', tlsFixtures.expired, /expired/],
  ])('refuses %s', (_, certificate, message) => {
    test('with implicit TLS', async () => {
      const server = await fakeServer({ implicitTls: true, certificate });
      const error = await failure(connectTo(server, { security: 'tls' }));
      expect(error).toBeInstanceOf(SmtpTlsError);
      expect(error.phase).toBe('connect');
      expect(error.transient).toBe(false);
      expect(error.message).toMatch(message);
    });

    test('with STARTTLS', async () => {
      const server = await fakeServer({ starttls: true, certificate });
      const error = await failure(connectTo(server, { security: 'starttls' }));
      expect(error).toBeInstanceOf(SmtpTlsError);
      expect(error.phase).toBe('starttls');
      expect(server.messages).toHaveLength(0);
    });
  });
});

describe('deadlines and abort', () => {
  test('the connect deadline covers the implicit TLS handshake', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const sockets: net.Socket[] = [];
    silent.on('connection', (socket) => sockets.push(socket));
    onCleanup(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const port = (silent.address() as net.AddressInfo).port;
    const error = await failure(SmtpClient.connect({ host: '127.0.0.1', port, security: 'tls', timeouts: { connect: 200 } }));
    expect(error).toBeInstanceOf(SmtpTimeoutError);
    expect(error.phase).toBe('connect');
    expect(error.transient).toBe(true);
  });

  test.each([
    ['greeting', { command: 'CONNECT', action: 'silent' }],
    ['ehlo', { command: 'EHLO', action: 'silent' }],
  ] as const)('a silent server times out in phase %s', async (phase, rule) => {
    const server = await fakeServer({ script: [rule] });
    const error = await failure(connectTo(server, { timeouts: { greeting: 200, command: 200 } }));
    expect(error).toBeInstanceOf(SmtpTimeoutError);
    expect(error.phase).toBe(phase);
    expect(error.message).toMatch(new RegExp(`timeouts\\.${phase === 'greeting' ? 'greeting' : 'command'}`));
  });

  test('a server that never answers STARTTLS times out in phase starttls', async () => {
    const server = await fakeServer({ starttls: true, script: [{ command: 'STARTTLS', action: 'silent' }] });
    const error = await failure(connectTo(server, { security: 'starttls', timeouts: { command: 200 } }));
    expect(error).toBeInstanceOf(SmtpTimeoutError);
    expect(error.phase).toBe('starttls');
  });

  test('quit() against a server that never answers QUIT ends at the command deadline with the connection closed', async () => {
    const server = await fakeServer({ script: [{ command: 'QUIT', action: 'silent' }] });
    const client = await connectTo(server, { timeouts: { command: 200 } });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      client.quit().then(() => 'ended'),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('quit() hung past its deadline'), 3000))),
    ]);
    clearTimeout(timer);
    expect(outcome).toBe('ended');
    expect(client.closed).toBe(true);
    expect(server.sessions[0]?.commands.at(-1)).toBe('QUIT');
  });

  test('an abort before connecting fails at once', async () => {
    const server = await fakeServer();
    const error = await failure(connectTo(server, { signal: AbortSignal.abort() }));
    expect(error).toBeInstanceOf(SmtpAbortError);
    expect(error.phase).toBe('connect');
  });

  test('an abort during the greeting closes the connection', async () => {
    const server = await fakeServer({ script: [{ command: 'CONNECT', action: 'silent' }] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(connectTo(server, { signal: controller.signal }));
    expect(error).toBeInstanceOf(SmtpAbortError);
    expect(error.transient).toBe(false);
  });
});
