import { describe, expect, test } from 'vitest';
import { SmtpAbortError, SmtpClient, SmtpConnectionError, SmtpProtocolError, SmtpTimeoutError } from '../src/index.js';
import { connectTo, failure, fakeServer } from './helpers.js';

const envelope = { from: 'app@example.com', to: ['a@example.org', 'b@example.org'] };

describe('server faults', () => {
  test.each([
    ['split at awkward offsets', { splitAt: [1, 3, 4, 5] }],
    ['one byte per segment', { chunkSize: 1 }],
    ['a drip of one byte per millisecond', { dripMs: 1 }],
    ['a delay before each reply', { delayMs: 20 }],
  ])('works with replies %s', async (_, faults) => {
    const server = await fakeServer({ starttls: true, faults });
    const client = await connectTo(server, { security: 'starttls' });
    const result = await client.send(envelope, 'x');
    expect(result.accepted).toEqual(envelope.to);
    await client.quit();
  });

  test('a close in the middle of a reply is a transient connection error', async () => {
    const server = await fakeServer({ script: [{ command: 'RCPT', action: 'close-mid-reply', reply: '250 2.1.5 Ok', afterBytes: 5 }] });
    const client = await connectTo(server);
    const error = await failure(client.send(envelope, 'x'));
    expect(error).toBeInstanceOf(SmtpConnectionError);
    expect(error.phase).toBe('rcpt');
    expect(error.transient).toBe(true);
    expect(client.closed).toBe(true);
  });

  test('a close instead of a reply is a transient connection error', async () => {
    const server = await fakeServer({ script: [{ command: 'MAIL', action: 'close' }] });
    const client = await connectTo(server);
    const error = await failure(client.send(envelope, 'x'));
    expect(error).toBeInstanceOf(SmtpConnectionError);
    expect(error.phase).toBe('mail');
  });

  test('garbage instead of a reply is a protocol error that closes the connection', async () => {
    const server = await fakeServer({ script: [{ command: 'MAIL', action: 'garbage', bytes: new Uint8Array([0xff, 0x00, 0x41, 0x0d, 0x0a]) }] });
    const client = await connectTo(server);
    const error = await failure(client.send(envelope, 'x'));
    expect(error).toBeInstanceOf(SmtpProtocolError);
    expect(error.phase).toBe('mail');
    expect(client.closed).toBe(true);
    expect(await failure(client.send(envelope, 'x'))).toBeInstanceOf(SmtpConnectionError);
  });

  test.each([
    ['after the reply to MAIL', { command: 'MAIL', reply: '250 2.1.0 Ok\r\n250 2.1.5 Unsolicited' }],
    ['after the reply to RCPT, looking like the reply to DATA', { command: 'RCPT', reply: '250 2.1.5 Ok\r\n354 Go ahead' }],
  ] as const)('an extra reply in a pipelined batch (%s) is a protocol error: nothing sent, nothing after DATA', async (_, rule) => {
    const server = await fakeServer({ script: [rule] });
    const client = await connectTo(server);
    const error = await failure(client.send(envelope, 'x'));
    expect(error).toBeInstanceOf(SmtpProtocolError);
    expect(error.phase).toBe('data');
    expect(client.closed).toBe(true);
    expect(server.messages).toHaveLength(0);
    const commands = server.sessions[0]?.commands ?? [];
    expect(commands.slice(commands.indexOf('DATA') + 1)).toEqual([]);
  });

  test('an endless reply line is cut off at the bound', async () => {
    const server = await fakeServer({ script: [{ command: 'MAIL', action: 'garbage', bytes: new Uint8Array(10_000).fill(0x32) }] });
    const client = await connectTo(server);
    const error = await failure(client.send(envelope, 'x'));
    expect(error).toBeInstanceOf(SmtpProtocolError);
    expect(error.message).toMatch(/longer than 4096/);
  });

  test.each([
    ['mail', 'MAIL', { command: 200 }],
    ['rcpt', 'RCPT', { command: 200 }],
    ['data', 'DATA', { command: 200 }],
    ['data', 'DATA-END', { data: 200 }],
  ] as const)('a silent server times out in phase %s (%s)', async (phase, command, timeouts) => {
    const server = await fakeServer({ script: [{ command, action: 'silent' }] });
    const client = await connectTo(server, { timeouts });
    const started = Date.now();
    const error = await failure(client.send(envelope, 'x'));
    expect(error).toBeInstanceOf(SmtpTimeoutError);
    expect(error.phase).toBe(phase);
    expect(error.transient).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(client.closed).toBe(true);
  });

  test('a deadline is total: a drip cannot stretch it', async () => {
    // A greeting of one byte every 50 ms: each byte comes well within any idle timeout, the whole
    // reply (51 bytes) well after the deadline.
    const server = await fakeServer({ faults: { dripMs: 50 } });
    const port = server.port;
    const started = Date.now();
    const error = await failure(SmtpClient.connect({ host: '127.0.0.1', port, security: 'none', timeouts: { greeting: 300 } }));
    expect(error).toBeInstanceOf(SmtpTimeoutError);
    expect(error.phase).toBe('greeting');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('aborting during a send closes the connection with an abort error', async () => {
    const server = await fakeServer({ script: [{ command: 'DATA-END', action: 'silent' }] });
    const controller = new AbortController();
    const client = await connectTo(server, { signal: controller.signal });
    const sending = client.send(envelope, 'x');
    setTimeout(() => controller.abort(), 50);
    const error = await failure(sending);
    expect(error).toBeInstanceOf(SmtpAbortError);
    expect(error.phase).toBe('data');
    expect(client.closed).toBe(true);
  });

  test('close() fails whatever is in flight and is idempotent', async () => {
    const server = await fakeServer({ script: [{ command: 'MAIL', action: 'silent' }] });
    const client = await connectTo(server);
    const sending = client.send(envelope, 'x');
    setTimeout(() => client.close(), 20);
    const error = await failure(sending);
    expect(error).toBeInstanceOf(SmtpConnectionError);
    client.close();
    await client.quit();
    expect(await failure(client.send(envelope, 'x'))).toBeInstanceOf(SmtpConnectionError);
  });

  test('leaves no socket or timer behind on success and failure paths', async () => {
    const server = await fakeServer({ starttls: true, script: [{ command: 'RCPT', match: 'silent', action: 'silent' }] });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const count = (): Record<string, number> => {
      const counts: Record<string, number> = { TCPSocketWrap: 0, Timeout: 0 };
      for (const resource of process.getActiveResourcesInfo()) if (resource in counts) counts[resource] = (counts[resource] ?? 0) + 1;
      return counts;
    };
    const before = count();
    const ok = await SmtpClient.connect({ host: '127.0.0.1', port: server.port, security: 'none' });
    await ok.send(envelope, 'x');
    await ok.quit();
    const slow = await SmtpClient.connect({ host: '127.0.0.1', port: server.port, security: 'none', timeouts: { command: 100 } });
    await failure(slow.send({ from: 'a@example.com', to: ['silent@example.org'] }, 'x'));
    await failure(SmtpClient.connect({ host: '127.0.0.1', port: server.port, security: 'starttls', tls: { ca: 'not a CA' } }));
    const controller = new AbortController();
    const aborted = await SmtpClient.connect({ host: '127.0.0.1', port: server.port, security: 'none', signal: controller.signal });
    controller.abort();
    await failure(aborted.send(envelope, 'x'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = count();
    expect(after.TCPSocketWrap).toBeLessThanOrEqual(before.TCPSocketWrap ?? 0);
    expect(after.Timeout).toBeLessThanOrEqual(before.Timeout ?? 0);
  });
});
