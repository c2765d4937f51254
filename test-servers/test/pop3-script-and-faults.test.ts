import * as net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakePop3Server, type FakePop3Server, type FakePop3ServerOptions } from '../src/index.js';
import { RawPop3 } from './pop3-raw-client.js';

const servers: FakePop3Server[] = [];
afterEach(async () => {
  RawPop3.closeAll();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const message = 'Subject: x\r\n\r\nbody line\r\n';

async function start(options: FakePop3ServerOptions = {}): Promise<FakePop3Server> {
  const server = await startFakePop3Server({ users: { alice: 'pw' }, mailbox: [message, message], ...options });
  servers.push(server);
  return server;
}

async function login(server: FakePop3Server): Promise<RawPop3> {
  const client = await RawPop3.connect(server.port);
  await client.line();
  await client.command('USER alice');
  expect(await client.command('PASS pw')).toMatch(/^\+OK/);
  return client;
}

describe('fake POP3 server: script rules', () => {
  it('replaces a reply, only as many times as asked, without executing the command', async () => {
    const server = await start({ script: [{ command: 'PASS', reply: '-ERR [SYS/TEMP] try again later', times: 1 }] });
    const client = await RawPop3.connect(server.port);
    await client.line();
    await client.command('USER alice');
    expect(await client.command('PASS pw')).toBe('-ERR [SYS/TEMP] try again later');
    expect(server.logins).toEqual([]);
    await client.command('USER alice');
    expect(await client.command('PASS pw')).toMatch(/^\+OK/);
  });

  it('narrows a rule with match, and sends multi-line scripted replies verbatim', async () => {
    const server = await start({
      script: [
        { command: 'RETR', match: /^RETR 2$/i, reply: '-ERR message is being delivered' },
        { command: 'CAPA', match: 'capa', reply: '+OK\r\nUSER\r\n.' },
      ],
    });
    const client = await login(server);
    expect(await client.command('RETR 1')).toMatch(/^\+OK/);
    await client.body();
    expect(await client.command('RETR 2')).toBe('-ERR message is being delivered');
    expect(await client.command('CAPA')).toBe('+OK');
    expect(await client.lines()).toEqual(['USER']);
  });

  it('replaces the greeting through CONNECT', async () => {
    const client = await RawPop3.connect((await start({ script: [{ command: 'CONNECT', reply: '-ERR [SYS/TEMP] too busy' }] })).port);
    expect(await client.line()).toBe('-ERR [SYS/TEMP] too busy');
  });

  it('closes instead of greeting, or instead of answering a command', async () => {
    const silentGreeting = await RawPop3.connect((await start({ script: [{ command: 'CONNECT', action: 'close' }] })).port);
    expect((await silentGreeting.untilClosed()).length).toBe(0);
    const client = await login(await start({ script: [{ command: 'RETR', action: 'close' }] }));
    client.send('RETR 1\r\n');
    expect((await client.untilClosed()).length).toBe(0);
  });

  it('closes in the middle of a reply', async () => {
    const client = await login(await start({ script: [{ command: 'STAT', action: 'close-mid-reply', reply: '+OK 2 48', afterBytes: 5 }] }));
    client.send('STAT\r\n');
    expect((await client.untilClosed()).toString()).toBe('+OK 2');
  });

  it('stays silent to one command and answers the next', async () => {
    const client = await login(await start({ script: [{ command: 'NOOP', action: 'silent' }] }));
    client.send('NOOP\r\nSTAT\r\n');
    expect(await client.line()).toMatch(/^\+OK 2 \d+$/);
  });

  it('sends garbage instead of a reply and goes on', async () => {
    const client = await login(await start({ script: [{ command: 'NOOP', action: 'garbage', bytes: Uint8Array.of(0, 0xff, 0x0d, 0x0a) }] }));
    client.send('NOOP\r\n');
    expect([...(await client.bytes(4))]).toEqual([0, 0xff, 0x0d, 0x0a]);
    expect(await client.command('STAT')).toMatch(/^\+OK 2/);
  });

  it('sends a multi-line body without its terminator and then never answers', async () => {
    const server = await start({ script: [{ command: 'RETR', action: 'no-terminator' }] });
    const client = await login(server);
    client.send('RETR 1\r\n');
    expect(await client.line()).toBe(`+OK ${message.length} octets`);
    expect((await client.bytes(message.length)).toString()).toBe(message);
    client.send('NOOP\r\nQUIT\r\n');
    await sleep(100);
    expect(client.buffer.length).toBe(0);
    expect(client.ended).toBe(false);
    expect(server.mailboxOf('alice')).toHaveLength(2);
  });
});

describe('fake POP3 server: output faults', () => {
  async function greetingChunks(faults: FakePop3ServerOptions['faults']): Promise<{ chunks: Buffer[]; line: string }> {
    const client = await RawPop3.connect((await start({ faults, greeting: '+OK fake server ready' })).port);
    const line = await client.line();
    return { chunks: client.chunks, line };
  }

  it('splits writes at chosen offsets', async () => {
    const { chunks, line } = await greetingChunks({ splitAt: [3] });
    expect(line).toBe('+OK fake server ready');
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    expect(chunks[0]?.length).toBeLessThanOrEqual(3);
  });

  it('cuts writes into chunks', async () => {
    const { chunks, line } = await greetingChunks({ chunkSize: 4 });
    expect(line).toBe('+OK fake server ready');
    expect(chunks.length).toBeGreaterThanOrEqual(2);
  });

  it('drips one byte at a time', async () => {
    const { chunks, line } = await greetingChunks({ dripMs: 2 });
    expect(line).toBe('+OK fake server ready');
    expect(chunks.length).toBeGreaterThan(5);
  });

  it('close() ends a session whose client left in the middle of a drip', async () => {
    const server = await start({ faults: { dripMs: 20 } });
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('data', resolve));
    socket.destroy();
    // Let the drip try its next bytes on the dead socket before closing.
    await sleep(100);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      server.close().then(() => 'closed'),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('close() hung'), 3000))),
    ]);
    clearTimeout(timer);
    expect(outcome).toBe('closed');
  });

  it('delays every write', async () => {
    const started = Date.now();
    const { line } = await greetingChunks({ delayMs: 80 });
    expect(line).toBe('+OK fake server ready');
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
  });

  it('keeps message bodies intact under faults', async () => {
    const client = await login(await start({ faults: { chunkSize: 7 } }));
    expect(await client.command('RETR 1')).toMatch(/^\+OK/);
    expect((await client.body()).toString()).toBe(message);
  });
});

describe('fake POP3 server: close()', () => {
  it('destroys every open connection and stops listening', async () => {
    const server = await start();
    const one = await login(server);
    const two = await RawPop3.connect(server.port);
    await server.close();
    await one.untilClosed();
    await two.untilClosed();
    await expect(
      new Promise((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port: server.port }, () => resolve(socket.destroy()));
        socket.once('error', reject);
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await server.close();
  });
});
