import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Pop3Client,
  Pop3ConnectionError,
  Pop3ProtocolError,
  Pop3TimeoutError,
  type Pop3ConnectOptions,
} from '@sysmail/pop3-client';
import type { FakePop3ServerOptions } from '@sysmail/test-servers';
import { failure, PASSWORD, useFakePop3 } from './helpers.js';

const pop = useFakePop3();

const MESSAGE = 'Subject: faults\r\n\r\n.starts with a dot\r\nplain\r\n..two\r\n';

async function loggedIn(options: FakePop3ServerOptions, timeouts?: Pop3ConnectOptions['timeouts']) {
  const server = await pop.start({ mailbox: [MESSAGE], ...options });
  const { client } = await pop.connect(server, timeouts === undefined ? {} : { timeouts });
  await client.login({ username: 'alice', password: PASSWORD, method: 'apop' });
  return { server, client };
}

describe('fragmented and slow servers', () => {
  for (const [name, faults] of [
    ['split at odd offsets', { splitAt: [1, 2, 5, 17] }],
    ['one byte per segment', { chunkSize: 1 }],
    ['dripping bytes', { dripMs: 1 }],
    ['a delay before each response', { delayMs: 20 }],
  ] as const) {
    it(`parses everything when the server sends ${name}`, async () => {
      const { client } = await loggedIn({ faults });
      expect(Buffer.from(await client.retrieve(1)).toString()).toBe(MESSAGE);
      expect((await client.stat()).count).toBe(1);
    });
  }
});

describe('broken servers', () => {
  it('a close in the middle of a message is an error, never a truncated message', async () => {
    const { client } = await loggedIn({
      script: [{ command: 'RETR', action: 'close-mid-reply', reply: `+OK\r\n${MESSAGE}.\r\n`, afterBytes: 20 }],
    });
    const error = await failure(client.retrieve(1));
    expect(error).toBeInstanceOf(Pop3ProtocolError);
    expect(error).toMatchObject({ reason: 'truncated', phase: 'retrieve', transient: true });
    expect(client.closed).toBe(true);
    await expect(client.noop()).rejects.toBeInstanceOf(Pop3ConnectionError);
  });

  it('a close instead of an answer is a transient connection error', async () => {
    const { client } = await loggedIn({ script: [{ command: 'STAT', action: 'close' }] });
    expect(await failure(client.stat())).toMatchObject({ kind: 'closed', phase: 'command', transient: true });
  });

  it('garbage instead of a status line is a protocol error and closes the session', async () => {
    const { client } = await loggedIn({ script: [{ command: 'STAT', action: 'garbage', bytes: '* OK [CAPABILITY IMAP4rev1] ready\r\n' }] });
    const error = await failure(client.stat());
    expect(error).toBeInstanceOf(Pop3ProtocolError);
    expect(error).toMatchObject({ reason: 'malformed-response' });
    expect(client.closed).toBe(true);
  });

  it('an endless status line is refused once it passes 4 KiB', async () => {
    const { client } = await loggedIn({ script: [{ command: 'NOOP', action: 'garbage', bytes: '+OK ' + 'a'.repeat(10_000) }] });
    expect(await failure(client.noop())).toMatchObject({ reason: 'line-too-long' });
  });

  it('an endless message line is refused once it passes 64 KiB', async () => {
    const { client } = await loggedIn({ mailbox: [`Subject: x\r\n\r\n${'z'.repeat(200_000)}\r\n`] });
    expect(await failure(client.retrieve(1))).toMatchObject({ reason: 'line-too-long', phase: 'retrieve' });
  });

  it('a message larger than maxMessageBytes is refused in memory', async () => {
    const server = await pop.start({ mailbox: [`Subject: x\r\n\r\n${'line\r\n'.repeat(1000)}`] });
    const { client } = await pop.connect(server, { maxMessageBytes: 1000 });
    await client.login({ username: 'alice', password: PASSWORD, method: 'apop' });
    expect(await failure(client.retrieve(1))).toMatchObject({ reason: 'response-too-large' });
  });

  it('a SASL continuation outside AUTH is a protocol error', async () => {
    const { client } = await loggedIn({ script: [{ command: 'NOOP', reply: '+ aGVsbG8=' }] });
    expect(await failure(client.noop())).toMatchObject({ reason: 'unexpected-response' });
  });
});

describe('deadlines', () => {
  const servers: net.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('connect: a TLS port that never handshakes', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const error = await failure(Pop3Client.connect({ host: '127.0.0.1', port, security: 'tls', timeouts: { connect: 150 } }));
    for (const socket of sockets) socket.destroy();
    expect(error).toBeInstanceOf(Pop3TimeoutError);
    expect(error).toMatchObject({ phase: 'connect', transient: true });
  });

  it('greeting: a server that never greets', async () => {
    const server = await pop.start({ script: [{ command: 'CONNECT', action: 'silent' }] });
    const error = await failure(pop.connect(server, { timeouts: { greeting: 150 } }));
    expect(error).toBeInstanceOf(Pop3TimeoutError);
    expect(error).toMatchObject({ phase: 'greeting' });
  });

  it('greeting: the deadline is total, so a server dripping one byte every 50 ms still times out', async () => {
    const server = await pop.start({ faults: { dripMs: 50 } });
    const error = await failure(pop.connect(server, { timeouts: { greeting: 300 } }));
    expect(error).toBeInstanceOf(Pop3TimeoutError);
    expect(error).toMatchObject({ phase: 'greeting', transient: true });
  });

  it('greeting: a -ERR greeting is refused', async () => {
    const server = await pop.start({ script: [{ command: 'CONNECT', reply: '-ERR [SYS/TEMP] too busy' }] });
    expect(await failure(pop.connect(server))).toMatchObject({ phase: 'greeting', code: 'SYS/TEMP', transient: true });
  });

  it('stls: a server that never answers STLS', async () => {
    const server = await pop.start({ stls: true, script: [{ command: 'STLS', action: 'silent' }] });
    expect(await failure(pop.connect(server, { security: 'starttls', timeouts: { command: 150 } }))).toMatchObject({ phase: 'stls', name: 'Pop3TimeoutError' });
  });

  it('auth: a server that never answers PASS', async () => {
    const server = await pop.start({ stls: true, script: [{ command: 'PASS', action: 'silent' }] });
    const { client } = await pop.connect(server, { security: 'starttls', timeouts: { command: 150 } });
    const error = await failure(client.login({ username: 'alice', password: PASSWORD, method: 'user' }));
    expect(error).toBeInstanceOf(Pop3TimeoutError);
    expect(error).toMatchObject({ phase: 'auth' });
  });

  it('command: a server that never answers STAT', async () => {
    const { client } = await loggedIn({ script: [{ command: 'STAT', action: 'silent' }] }, { command: 150 });
    const error = await failure(client.stat());
    expect(error).toBeInstanceOf(Pop3TimeoutError);
    expect(error).toMatchObject({ phase: 'command' });
    expect(client.closed).toBe(true);
  });

  it('quit: a server that never answers QUIT', async () => {
    const { client } = await loggedIn({ script: [{ command: 'QUIT', action: 'silent' }] }, { command: 150 });
    await client.delete(1);
    const error = await failure(client.quit());
    expect(error).toBeInstanceOf(Pop3TimeoutError);
    expect(error).toMatchObject({ phase: 'quit', transient: true });
    expect(client.closed).toBe(true);
  });

  it('data: a message without its terminator', async () => {
    const { client } = await loggedIn({ script: [{ command: 'RETR', action: 'no-terminator' }] }, { data: 150 });
    const error = await failure(client.retrieve(1));
    expect(error).toBeInstanceOf(Pop3TimeoutError);
    expect(error).toMatchObject({ phase: 'retrieve' });
  });

  it('data: a streamed message without its terminator fails the stream', async () => {
    const { client } = await loggedIn({ script: [{ command: 'RETR', action: 'no-terminator' }] }, { data: 150 });
    const stream = client.retrieveStream(1);
    stream.resume();
    const error = await new Promise((resolve) => stream.once('error', resolve));
    expect(error).toBeInstanceOf(Pop3TimeoutError);
  });
});

describe('pipelined deadlines', () => {
  const mailbox = Array.from({ length: 40 }, (_, i) => `Subject: ${i + 1}\r\n\r\nbody\r\n`);
  const ids = mailbox.map((_, i) => i + 1);

  it('each response of a pipelined batch has its own deadline, so a long batch of prompt responses completes', async () => {
    const server = await pop.start({ mailbox, faults: { delayMs: 10 } });
    const { client } = await pop.connect(server, { timeouts: { command: 150, data: 150 } });
    await client.login({ username: 'alice', password: PASSWORD, method: 'apop' });
    const started = Date.now();
    expect((await client.retrieveMany(ids)).map((m) => Buffer.from(m).toString())).toEqual(mailbox);
    expect(Date.now() - started).toBeGreaterThan(150);
  });

  it('a server that stops answering in the middle of a pipelined batch times out under command', async () => {
    const { client } = await loggedIn({ mailbox, script: [{ command: 'RETR', match: /^RETR 20$/, action: 'silent' }] }, { command: 150 });
    const started = Date.now();
    const error = await failure(client.retrieveMany(ids));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(Pop3TimeoutError);
    expect(error).toMatchObject({ phase: 'retrieve', transient: true });
    expect(client.closed).toBe(true);
  });

  it('a message without its terminator in the middle of a pipelined batch times out under data', async () => {
    const { client } = await loggedIn({ mailbox, script: [{ command: 'RETR', match: /^RETR 20$/, action: 'no-terminator' }] }, { data: 150 });
    const error = await failure(client.retrieveMany(ids));
    expect(error).toBeInstanceOf(Pop3TimeoutError);
    expect(error).toMatchObject({ phase: 'retrieve', message: expect.stringContaining('0.15 s') });
    expect(client.closed).toBe(true);
  });
});

describe('abort', () => {
  it('aborts a command in flight and closes the session', async () => {
    const controller = new AbortController();
    const server = await pop.start({ script: [{ command: 'STAT', action: 'silent' }] });
    const { client } = await pop.connect(server, { signal: controller.signal });
    await client.login({ username: 'alice', password: PASSWORD, method: 'apop' });
    const pending = client.stat();
    setTimeout(() => controller.abort(), 20);
    const error = await failure(pending);
    expect(error).toBeInstanceOf(Pop3ConnectionError);
    expect(error).toMatchObject({ kind: 'aborted', transient: false });
    expect(client.closed).toBe(true);
  });

  it('refuses to start with an aborted signal', async () => {
    const server = await pop.start();
    const error = await failure(pop.connect(server, { signal: AbortSignal.abort() }));
    expect(error).toMatchObject({ kind: 'aborted', phase: 'connect' });
    expect(server.sessions).toEqual([]);
  });
});

describe('resources', () => {
  it('leaves no socket or timer behind after quit and close', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length;
    const server = await pop.start({ mailbox: [MESSAGE] });
    const { client } = await pop.connect(server);
    await client.login({ username: 'alice', password: PASSWORD, method: 'apop' });
    await client.retrieve(1);
    await client.quit();
    const other = (await pop.connect(server)).client;
    await other.close();
    await server.close();
    await new Promise((resolve) => setImmediate(resolve));
    const after = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length;
    expect(after).toBeLessThanOrEqual(before);
  });
});
