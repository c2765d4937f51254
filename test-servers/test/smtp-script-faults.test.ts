import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSmtpServer, type FakeSmtpServer, type FakeSmtpServerOptions } from '../src/index.js';
import { destroyRawClients, RawSmtp } from './smtp-raw-client.js';

let servers: FakeSmtpServer[] = [];
afterEach(async () => {
  destroyRawClients();
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function start(options: FakeSmtpServerOptions = {}): Promise<FakeSmtpServer> {
  const server = await startFakeSmtpServer(options);
  servers.push(server);
  return server;
}

async function session(server: FakeSmtpServer): Promise<RawSmtp> {
  const client = await RawSmtp.connect(server.port);
  expect(await client.reply()).toMatch(/^220 /);
  expect(await client.command('EHLO client.test')).toMatch(/^250 /m);
  return client;
}

async function transaction(client: RawSmtp): Promise<string> {
  await client.command('MAIL FROM:<a@example.com>');
  await client.command('RCPT TO:<b@example.com>');
  await client.command('DATA');
  return client.command('body\r\n.');
}

const GREETING = '220 fake-smtp.test ESMTP sysmail fake SMTP server\r\n';

/** Collects the segments the client receives, as the socket delivers them. */
function segments(client: RawSmtp): string[] {
  const seen: string[] = [];
  client.socket.on('data', (chunk: Buffer) => seen.push(chunk.toString()));
  return seen;
}

describe('fake SMTP server: scripted replies', () => {
  it('replaces the greeting for a number of connections (times), then falls through', async () => {
    const server = await start({ script: [{ command: 'CONNECT', reply: '421 4.3.2 Try again later', times: 1 }] });
    const first = await RawSmtp.connect(server.port);
    expect(await first.reply()).toBe('421 4.3.2 Try again later');
    await first.rest();
    expect(first.closed).toBe(true);
    const second = await RawSmtp.connect(server.port);
    expect(await second.reply()).toMatch(/^220 fake-smtp\.test/);
  });

  it('rejects one recipient by match and closes after a 421 to MAIL', async () => {
    const server = await start({
      script: [
        { command: 'RCPT', match: /<bad@/, reply: '550 5.1.1 No such user' },
        { command: 'MAIL', match: '<late@example.com>', reply: '421 4.3.0 Shutting down' },
      ],
    });
    const client = await session(server);
    await client.command('MAIL FROM:<a@example.com>');
    expect(await client.command('RCPT TO:<bad@example.com>')).toBe('550 5.1.1 No such user');
    expect(await client.command('RSET')).toBe('250 2.0.0 Ok');
    expect(await client.command('MAIL FROM:<late@example.com>')).toBe('421 4.3.0 Shutting down');
    await client.rest();
    expect(client.closed).toBe(true);
  });

  it('answers the final dot with a scripted 4xx and records no message', async () => {
    const server = await start({ script: [{ command: 'DATA-END', reply: '451 4.3.0 Queue full', times: 1 }] });
    const client = await session(server);
    expect(await transaction(client)).toBe('451 4.3.0 Queue full');
    expect(server.messages).toEqual([]);
    expect(await transaction(client)).toMatch(/^250 2\.0\.0/);
    expect(server.messages).toHaveLength(1);
  });

  it('matches DATA-END rules against the message', async () => {
    const server = await start({ script: [{ command: 'DATA-END', match: 'spam', reply: '554 5.7.1 Looks like spam' }] });
    const client = await session(server);
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RCPT TO:<b@example.com>');
    await client.command('DATA');
    expect(await client.command('buy spam now\r\n.')).toBe('554 5.7.1 Looks like spam');
    expect(await transaction(client)).toMatch(/^250/);
  });

  it('takes over EHLO, HELO, STARTTLS, AUTH, DATA, RSET, NOOP and QUIT', async () => {
    const server = await start({
      starttls: true,
      auth: { mechanisms: ['PLAIN'], users: { u: 'p' } },
      script: [
        { command: 'EHLO', reply: '250-custom.test\r\n250 SIZE 42' },
        { command: 'HELO', reply: '250 helo-custom' },
        { command: 'STARTTLS', reply: '454 4.7.0 TLS not available due to temporary reason' },
        { command: 'AUTH', reply: '454 4.7.0 Temporary authentication failure' },
        { command: 'DATA', reply: '554 5.5.1 No thanks' },
        { command: 'RSET', reply: '250 2.0.0 Flushed' },
        { command: 'NOOP', reply: '250 2.0.0 Still here' },
        { command: 'QUIT', reply: '221 2.0.0 See you' },
      ],
    });
    const client = await RawSmtp.connect(server.port);
    await client.reply();
    expect(await client.command('EHLO c')).toBe('250-custom.test\r\n250 SIZE 42');
    expect(await client.command('HELO c')).toBe('250 helo-custom');
    expect(await client.command('STARTTLS')).toBe('454 4.7.0 TLS not available due to temporary reason');
    expect(await client.command('AUTH PLAIN AHUAcA==')).toBe('454 4.7.0 Temporary authentication failure');
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RCPT TO:<b@example.com>');
    expect(await client.command('DATA')).toBe('554 5.5.1 No thanks');
    expect(await client.command('RSET')).toBe('250 2.0.0 Flushed');
    expect(await client.command('NOOP')).toBe('250 2.0.0 Still here');
    expect(await client.command('QUIT')).toBe('221 2.0.0 See you');
    await client.rest();
    expect(client.closed).toBe(true);
  });

  it('lets a scripted 2xx accept a recipient the relay policy would refuse', async () => {
    const server = await start({
      relayPolicy: () => '554 5.7.1 Relay access denied',
      script: [{ command: 'RCPT', match: 'vip@', reply: '251 2.1.5 User not local; will forward' }],
    });
    const client = await session(server);
    await client.command('MAIL FROM:<a@example.com>');
    expect(await client.command('RCPT TO:<vip@example.com>')).toBe('251 2.1.5 User not local; will forward');
    expect(await client.command('DATA')).toMatch(/^354/);
    expect(await client.command('x\r\n.')).toMatch(/^250/);
    expect(server.messages[0]?.recipients).toEqual(['vip@example.com']);
  });

  it('scripts BDAT replies once the chunk is read', async () => {
    const server = await start({ extensions: { chunking: true }, script: [{ command: 'BDAT', match: 'LAST', reply: '452 4.3.1 Insufficient system storage' }] });
    const client = await session(server);
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RCPT TO:<b@example.com>');
    client.write('BDAT 3 LAST\r\nabcNOOP\r\n');
    expect(await client.reply()).toBe('452 4.3.1 Insufficient system storage');
    expect(await client.reply()).toBe('250 2.0.0 Ok');
    expect(server.messages).toEqual([]);
  });
});

describe('fake SMTP server: scripted actions', () => {
  it('close: closes instead of replying', async () => {
    const server = await start({ script: [{ command: 'RCPT', action: 'close' }] });
    const client = await session(server);
    await client.command('MAIL FROM:<a@example.com>');
    client.write('RCPT TO:<b@example.com>\r\n');
    expect((await client.rest()).length).toBe(0);
    expect(client.closed).toBe(true);
  });

  it('close-mid-reply: sends the first bytes of the reply, then closes', async () => {
    const server = await start({ script: [{ command: 'MAIL', action: 'close-mid-reply', reply: '250 2.1.0 Ok', afterBytes: 5 }] });
    const client = await session(server);
    client.write('MAIL FROM:<a@example.com>\r\n');
    expect((await client.rest()).toString()).toBe('250 2');
  });

  it('close-mid-reply on CONNECT cuts the greeting', async () => {
    const server = await start({ script: [{ command: 'CONNECT', action: 'close-mid-reply', reply: '220-first line\r\n220 second', afterBytes: 17 }] });
    const client = await RawSmtp.connect(server.port);
    expect((await client.rest()).toString()).toBe('220-first line\r\n2');
  });

  it('silent: never answers, and close() still ends the session', async () => {
    const server = await start({ script: [{ command: 'DATA-END', action: 'silent' }] });
    const client = await session(server);
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RCPT TO:<b@example.com>');
    await client.command('DATA');
    client.write('x\r\n.\r\nQUIT\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.buffered.length).toBe(0);
    expect(client.closed).toBe(false);
    expect(server.messages).toEqual([]);
    await server.close();
    await client.rest();
    expect(client.closed).toBe(true);
  });

  it('garbage: sends the bytes instead of a reply, then carries on', async () => {
    const server = await start({ script: [{ command: 'NOOP', action: 'garbage', bytes: new Uint8Array([0xff, 0x00, 0x41, 0x0d, 0x0a]), times: 1 }] });
    const client = await session(server);
    client.write('NOOP\r\n');
    await client.waitForBytes(5);
    expect([...client.buffered]).toEqual([0xff, 0x00, 0x41, 0x0d, 0x0a]);
    await client.line();
    expect(await client.command('NOOP')).toBe('250 2.0.0 Ok');
  });
});

describe('fake SMTP server: output faults', () => {
  it('delayMs: delays every reply', async () => {
    const server = await start({ faults: { delayMs: 60 } });
    const client = await RawSmtp.connect(server.port);
    await client.reply();
    const started = Date.now();
    expect(await client.command('NOOP')).toBe('250 2.0.0 Ok');
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });

  it('splitAt: cuts each reply at the given offsets', async () => {
    const server = await start({ faults: { splitAt: [1, 3] } });
    const client = await RawSmtp.connect(server.port);
    const seen = segments(client);
    expect(await client.reply()).toMatch(/^220 /);
    // The receiver may coalesce segments, never cut them elsewhere.
    expect(boundaries(seen).every((offset) => [1, 3, GREETING.length].includes(offset))).toBe(true);
    expect(seen.join('')).toBe(GREETING);
    expect((await client.command('EHLO c')).split('\r\n')).toHaveLength(6);
    for (let i = 0; i < 5; i++) expect(await client.command('NOOP')).toBe('250 2.0.0 Ok');
    // Seven replies cut in three: at least some of the cuts must survive the trip.
    expect(seen.length).toBeGreaterThan(7);
  });

  it('chunkSize: sends each reply in small pieces that still make whole replies', async () => {
    const server = await start({ faults: { chunkSize: 7 } });
    const client = await RawSmtp.connect(server.port);
    const seen = segments(client);
    await client.reply();
    expect(boundaries(seen).every((offset) => offset % 7 === 0 || offset === GREETING.length)).toBe(true);
    expect(await transaction(await ehlo(client))).toMatch(/^250 2\.0\.0/);
    // Seven replies, most longer than 7 bytes: several pieces each.
    expect(seen.length).toBeGreaterThan(7);
  });

  it('dripMs: sends one byte at a time', async () => {
    const server = await start({ faults: { dripMs: 5 } });
    const client = await RawSmtp.connect(server.port);
    const seen = segments(client);
    expect(await client.reply()).toMatch(/^220 /);
    // Bytes 5 ms apart: even a loaded receiver sees most of them one by one.
    expect(seen.length).toBeGreaterThan(26);
  });

  it('dripMs: close() ends a session whose client left in the middle of a drip', async () => {
    const server = await startFakeSmtpServer({ faults: { dripMs: 20 } });
    servers.push(server);
    const client = await RawSmtp.connect(server.port);
    await client.waitForBytes(3);
    client.destroy();
    // Let the drip try its next bytes on the dead socket before closing.
    await new Promise((resolve) => setTimeout(resolve, 100));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      server.close().then(() => 'closed'),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('close() hung'), 3000))),
    ]);
    clearTimeout(timer);
    expect(outcome).toBe('closed');
  });
});

/** The end offsets of the received segments. */
function boundaries(seen: string[]): number[] {
  let offset = 0;
  return seen.map((segment) => (offset += segment.length));
}

async function ehlo(client: RawSmtp): Promise<RawSmtp> {
  expect(await client.command('EHLO c')).toMatch(/^250 /m);
  return client;
}
