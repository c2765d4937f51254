import * as net from 'node:net';
import { describe, expect, test } from 'vitest';
import { SmtpClient, SmtpConnectionError, type SmtpSendResult } from '../src/index.js';
import { onCleanup } from './helpers.js';

type Outcome = { result: SmtpSendResult } | { error: unknown };
const settle = (promise: Promise<SmtpSendResult>): Promise<Outcome> =>
  promise.then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );

/** What the raw server does once it has answered a number of messages. */
interface RawServerOptions {
  /** The text of every 250 reply: long replies fill the client's read buffer sooner. */
  replyText: string;
  /** After this many messages, stop reading, wait `resetAfterMs`, then reset the connection. */
  resetAfterMessages?: number;
  resetAfterMs?: number;
}

/**
 * A minimal SMTP server with PIPELINING and CHUNKING that, like a real MTA,
 * stops reading commands while its replies cannot be sent (backpressure).
 */
async function startRawServer(options: RawServerOptions): Promise<{ port: number; messages: () => number }> {
  let messages = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending: Buffer = Buffer.alloc(0);
    /** The bytes of the current BDAT chunk still to come, or undefined between chunks. */
    let chunkLeft: number | undefined;
    let stopped = false;
    const reply = (line: string): void => {
      // Paused until the replies drain: the client's unread replies push back on its commands.
      if (!socket.write(`${line}\r\n`) && !socket.isPaused()) {
        socket.pause();
        socket.once('drain', () => {
          if (!stopped) socket.resume();
        });
      }
    };
    const process = (): void => {
      while (!stopped) {
        if (chunkLeft !== undefined) {
          const taken = Math.min(chunkLeft, pending.length);
          pending = pending.subarray(taken);
          chunkLeft -= taken;
          if (chunkLeft > 0) return;
          chunkLeft = undefined;
          messages++;
          reply(`250 2.0.0 ${options.replyText}`);
          if (messages === options.resetAfterMessages) {
            stopped = true;
            socket.pause();
            setTimeout(() => socket.resetAndDestroy(), options.resetAfterMs ?? 0);
          }
          continue;
        }
        const end = pending.indexOf('\r\n');
        if (end < 0) return;
        const line = pending.subarray(0, end).toString('latin1');
        pending = pending.subarray(end + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply('250-raw.test\r\n250-PIPELINING\r\n250 CHUNKING');
        else if (verb === 'BDAT') chunkLeft = Number(line.split(' ')[1]);
        else if (verb === 'QUIT') {
          reply('221 2.0.0 Bye');
          socket.end();
          return;
        } else reply(`250 2.0.0 ${options.replyText}`);
      }
    };
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      process();
    });
    socket.write('220 raw.test ESMTP\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as net.AddressInfo).port, messages: () => messages };
}

async function connect(port: number, data: number): Promise<SmtpClient> {
  const client = await SmtpClient.connect({ host: '127.0.0.1', port, security: 'none', timeouts: { connect: 5000, greeting: 5000, command: 5000, data } });
  onCleanup(() => client.close());
  return client;
}

describe('pipelined batches', () => {
  test('sends whose replies far exceed what the client buffers unread all go through a server that respects backpressure', async () => {
    // Replies of RFC 5321's longest line, 4 per send: 60 MiB of replies, far more than the client's read bound
    // and the sockets' buffers (Linux grows loopback buffers to tens of MiB) hold while a batch is written.
    const server = await startRawServer({ replyText: `Ok ${'q'.repeat(499)}` });
    const client = await connect(server.port, 10_000);
    await client.send({ from: 'app@example.com', to: ['a@example.org'] }, 'first\r\n');
    const count = 30_000;
    const message = `Subject: x\r\n\r\n${`${'m'.repeat(62)}\r\n`.repeat(16)}`;
    const outcomes = await Promise.all(
      Array.from({ length: count }, (_, i) => settle(client.send({ from: 'app@example.com', to: [`r${i}@example.org`] }, message))),
    );
    const failed = outcomes.filter((outcome) => 'error' in outcome);
    expect(failed).toEqual([]);
    expect(outcomes.map((outcome) => (outcome as { result: SmtpSendResult }).result.accepted[0])).toEqual(
      Array.from({ length: count }, (_, i) => `r${i}@example.org`),
    );
    expect(server.messages()).toBe(count + 1);
    await client.quit();
  }, 60_000);

  test('a connection reset while a batch is being written: sends the server answered resolve, the rest fail with a transient connection error', async () => {
    const accepted = 5;
    const server = await startRawServer({ replyText: 'Ok', resetAfterMessages: 1 + accepted, resetAfterMs: 300 });
    const client = await connect(server.port, 10_000);
    await client.send({ from: 'app@example.com', to: ['a@example.org'] }, 'first\r\n');
    // 64 KiB a message, 300 of them: the batch is still being written when the server stops reading and resets.
    const message = `${'x'.repeat(62)}\r\n`.repeat(1024);
    const outcomes = await Promise.all(
      Array.from({ length: 300 }, (_, i) => settle(client.send({ from: 'app@example.com', to: [`r${i}@example.org`] }, message))),
    );
    for (const [i, outcome] of outcomes.slice(0, accepted).entries()) expect(outcome).toMatchObject({ result: { accepted: [`r${i}@example.org`], reply: { code: 250 } } });
    for (const outcome of outcomes.slice(accepted)) {
      const error = (outcome as { error: unknown }).error;
      expect(error).toBeInstanceOf(SmtpConnectionError);
      expect(error).toMatchObject({ transient: true, phase: 'mail' });
    }
    expect(server.messages()).toBe(1 + accepted);
    expect(client.closed).toBe(true);
  }, 30_000);
});
