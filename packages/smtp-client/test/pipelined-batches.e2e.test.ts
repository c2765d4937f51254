import * as net from 'node:net';
import { describe, expect, test } from 'vitest';
import { SmtpClient, type SmtpSendResult } from '../src/index.js';
import { onCleanup } from './helpers.js';

type Outcome = { result: SmtpSendResult } | { error: unknown };
const settle = (promise: Promise<SmtpSendResult>): Promise<Outcome> =>
  promise.then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );

/** How the raw server answers. */
interface RawServerOptions {
  /** The text of every 250 reply: long replies fill the client's read buffer sooner. */
  replyText: string;
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
    const reply = (line: string): void => {
      // Paused until the replies drain: the client's unread replies push back on its commands.
      if (!socket.write(`${line}\r\n`) && !socket.isPaused()) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    };
    const process = (): void => {
      for (;;) {
        if (chunkLeft !== undefined) {
          const taken = Math.min(chunkLeft, pending.length);
          pending = pending.subarray(taken);
          chunkLeft -= taken;
          if (chunkLeft > 0) return;
          chunkLeft = undefined;
          messages++;
          reply(`250 2.0.0 ${options.replyText}`);
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
});
