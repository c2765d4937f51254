import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { PIPELINE_WINDOW, Pop3Client, Pop3ResponseError } from '@sysmail/pop3-client';
import type { FakePop3Server, FakePop3ServerOptions } from '@sysmail/test-servers';
import { failure, PASSWORD, useFakePop3 } from './helpers.js';

const pop = useFakePop3();

const MESSAGES = [
  'Subject: one\r\n\r\nHello.\r\n.\r\n..two dots\r\n.leading\r\n',
  'Subject: two\r\n\r\nline 1\r\nline 2\r\nline 3\r\n',
  'Subject: three\r\n\r\nno final newline',
];

async function session(options: FakePop3ServerOptions = {}): Promise<{ server: FakePop3Server; client: Pop3Client }> {
  const server = await pop.start({ mailbox: MESSAGES, ...options });
  const { client } = await pop.connect(server);
  await client.login({ username: 'alice', password: PASSWORD, method: 'apop' });
  return { server, client };
}

const utf8 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

describe('mailbox commands', () => {
  it('STAT, LIST and UIDL, for all messages and for one', async () => {
    const { client } = await session();
    // The server counts the CRLF it adds to a message that lacks one.
    const sizes = MESSAGES.map((m) => Buffer.byteLength(m.endsWith('\r\n') ? m : `${m}\r\n`));
    expect(await client.stat()).toEqual({ count: 3, size: sizes.reduce((a, b) => a + b, 0) });
    expect(await client.list()).toEqual(sizes.map((size, i) => ({ number: i + 1, size })));
    expect(await client.list(2)).toEqual({ number: 2, size: sizes[1] });
    const uids = await client.uidl();
    expect(uids.map((u) => u.number)).toEqual([1, 2, 3]);
    expect(new Set(uids.map((u) => u.uid)).size).toBe(3);
    expect(await client.uidl(3)).toEqual(uids[2]);
  });

  it('RETR un-stuffs dots and returns the message exactly', async () => {
    const { client } = await session();
    expect(utf8(await client.retrieve(1))).toBe(MESSAGES[0]);
    expect(utf8(await client.retrieve(3))).toBe(`${MESSAGES[2]}\r\n`);
  });

  it('TOP returns the header and the first lines', async () => {
    const { client } = await session();
    expect(utf8(await client.top(2, 1))).toBe('Subject: two\r\n\r\nline 1\r\n');
    expect(utf8(await client.top(2, 0))).toBe('Subject: two\r\n\r\n');
  });

  it('a -ERR is a Pop3ResponseError and leaves the session usable', async () => {
    const { client } = await session();
    const error = await failure(client.retrieve(99));
    expect(error).toBeInstanceOf(Pop3ResponseError);
    expect(error).toMatchObject({ phase: 'retrieve', transient: false });
    expect((await client.noop()).line).toMatch(/^\+OK/);
    await expect(client.list(0)).rejects.toThrow(/positive integers/);
    await expect(client.retrieve(1.5)).rejects.toMatchObject({ reason: 'invalid-argument', phase: 'retrieve' });
    expect(client.closed).toBe(false);
  });

  it('refuses a batch with an invalid message number before sending any of it', async () => {
    const { server, client } = await session();
    await expect(client.retrieveMany([1, 2, 0])).rejects.toMatchObject({ reason: 'invalid-argument', phase: 'retrieve' });
    await expect(client.deleteMany([1, Number.NaN])).rejects.toMatchObject({ reason: 'invalid-argument', phase: 'command' });
    expect(server.sessions[0]?.commands.filter((c) => /^(RETR|DELE)/.test(c))).toEqual([]);
    expect(utf8(await client.retrieve(2))).toBe(MESSAGES[1]);
  });

  it('DELE takes effect only at QUIT; RSET undoes it', async () => {
    const { server, client } = await session();
    await client.delete(1);
    await client.reset();
    await client.delete(2);
    expect(server.mailboxOf('alice')).toHaveLength(3);
    const reply = await client.quit();
    expect(reply.line).toMatch(/^\+OK/);
    expect(client.closed).toBe(true);
    expect(server.mailboxOf('alice').map(utf8)).toEqual([MESSAGES[0], MESSAGES[2]]);
  });

  it('a -ERR to QUIT is reported and the connection still closes', async () => {
    const { client } = await session({ script: [{ command: 'QUIT', reply: '-ERR [SYS/TEMP] some deleted messages not removed' }] });
    await client.delete(1);
    expect(await failure(client.quit())).toMatchObject({ phase: 'quit', code: 'SYS/TEMP', transient: true });
    expect(client.closed).toBe(true);
  });

  it('serialises concurrent calls: one command at a time on the wire', async () => {
    const { server, client } = await session({ pipelining: false });
    const [stat, list, noop, message] = await Promise.all([client.stat(), client.list(), client.noop(), client.retrieve(2)]);
    expect(stat.count).toBe(3);
    expect(list).toHaveLength(3);
    expect(noop.line).toMatch(/^\+OK/);
    expect(utf8(message)).toBe(MESSAGES[1]);
    const batches = server.sessions[0]?.batches ?? [];
    expect(batches.every((batch) => batch.length === 1)).toBe(true);
  });
});

describe('pipelining', () => {
  const many = Array.from({ length: 300 }, (_, i) => `Subject: ${i}\r\n\r\n.body ${i}\r\n`);

  it('pipelines RETR and DELE when PIPELINING is advertised, a whole window first', async () => {
    const { server, client } = await session({ mailbox: many });
    const ids = many.map((_, i) => i + 1);
    const messages = await client.retrieveMany(ids);
    expect(messages.map(utf8)).toEqual(many);
    const replies = await client.deleteMany(ids);
    expect(replies).toHaveLength(many.length);
    const batches = server.sessions[0]?.batches ?? [];
    for (const keyword of ['RETR', 'DELE']) {
      const sent = batches.filter((b) => b[0]?.startsWith(keyword));
      expect(sent[0]).toHaveLength(PIPELINE_WINDOW);
      expect(sent.flat()).toEqual(ids.map((n) => `${keyword} ${n}`));
    }
    await client.quit();
    expect(server.mailboxOf('alice')).toEqual([]);
  });

  it('keeps at most a window of commands unanswered, and refills it while half is still unanswered', async () => {
    const count = 3 * PIPELINE_WINDOW;
    const server = await halfWindowServer(count);
    const client = pop.track(
      await Pop3Client.connect({ host: '127.0.0.1', port: server.port, security: 'none', allowPlaintextAuth: true, timeouts: { command: 2000 } }),
    );
    await client.login({ username: 'alice', password: PASSWORD, method: 'user' });
    const messages = await client.retrieveMany(Array.from({ length: count }, (_, i) => i + 1));
    expect(messages.map(utf8)).toEqual(Array.from({ length: count }, (_, i) => `Subject: ${i + 1}\r\n`));
    expect(server.mostUnanswered).toBe(PIPELINE_WINDOW);
    await client.quit();
    await server.close();
  });

  it('hands out messages that share no bytes: overwriting one leaves the others intact', async () => {
    const { client } = await session({ mailbox: many });
    const messages = await client.retrieveMany(many.map((_, i) => i + 1));
    messages.forEach((message, i) => {
      expect(utf8(message)).toBe(many[i]);
      message.fill(0x21);
    });
  });

  it('falls back to one command at a time without PIPELINING', async () => {
    const { server, client } = await session({ mailbox: many.slice(0, 5), pipelining: false });
    expect((await client.retrieveMany([1, 2, 3, 4, 5])).map(utf8)).toEqual(many.slice(0, 5));
    const retrBatches = (server.sessions[0]?.batches ?? []).filter((b) => b[0]?.startsWith('RETR'));
    expect(retrBatches.map((b) => b.length)).toEqual([1, 1, 1, 1, 1]);
  });

  it('reads every reply when one fails, then reports the failure', async () => {
    const { client } = await session();
    expect(await failure(client.retrieveMany([1, 99, 2]))).toBeInstanceOf(Pop3ResponseError);
    expect(utf8(await client.retrieve(2))).toBe(MESSAGES[1]);
  });

  it('reports the first refused command of many, past several window refills, and stays in step', async () => {
    const { client } = await session({ mailbox: many });
    const ids = [...many.map((_, i) => i + 1), ...many.map((_, i) => i + 1)];
    ids.splice(200, 0, 998);
    ids.splice(400, 0, 999);
    const error = await failure(client.retrieveMany(ids));
    expect(error).toBeInstanceOf(Pop3ResponseError);
    expect(error).toMatchObject({ phase: 'retrieve', message: expect.stringContaining('RETR 998') });
    expect(client.closed).toBe(false);
    expect(utf8(await client.retrieve(many.length))).toBe(many.at(-1));
  });
});

describe('retrieveStream', () => {
  it('streams a 64 MiB message with backpressure, un-stuffed', async () => {
    // Every line starts with a dot: the worst case for stuffing and un-stuffing.
    const line = Buffer.from(`.${'x'.repeat(76)}\r\n`);
    const block = Buffer.concat(Array.from({ length: 1024 }, () => line));
    const blocks = Math.floor((64 * 1024 * 1024) / block.length);
    const expectedHash = createHash('sha256');
    for (let i = 0; i < blocks; i++) expectedHash.update(block);
    const generated = {
      size: blocks * block.length,
      *chunks() {
        for (let i = 0; i < blocks; i++) yield block;
      },
    };
    const { client } = await session({ mailbox: [generated] });
    const stream = client.retrieveStream(1);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of stream) {
      hash.update(chunk as Uint8Array);
      size += (chunk as Uint8Array).length;
    }
    expect(size).toBe(generated.size);
    expect(hash.digest('hex')).toBe(expectedHash.digest('hex'));
    expect((await client.noop()).line).toMatch(/^\+OK/);
  });

  it('reads from the server no faster than the consumer', async () => {
    const big = `Subject: big\r\n\r\n${'a line of a large message\r\n'.repeat(400_000)}`;
    const { client } = await session({ mailbox: [big] });
    const stream = client.retrieveStream(1);
    await new Promise<void>((resolve) => stream.once('readable', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Unconsumed, the stream holds about its high-water mark, not the 11 MB message.
    expect(stream.readableLength).toBeLessThan(1024 * 1024);
    let size = 0;
    for await (const chunk of stream) size += (chunk as Uint8Array).length;
    expect(size).toBe(Buffer.byteLength(big));
  });

  it('destroyed mid-way, drains the rest and keeps the session in step', async () => {
    const big = `Subject: big\r\n\r\n${'.dotted line of text\r\n'.repeat(100_000)}`;
    const { client } = await session({ mailbox: [big, 'Subject: small\r\n\r\nsmall\r\n'] });
    const stream = client.retrieveStream(1);
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.destroy();
    expect(utf8(await client.retrieve(2))).toBe('Subject: small\r\n\r\nsmall\r\n');
  });

  it('fails with the server -ERR', async () => {
    const { client } = await session();
    const stream = client.retrieveStream(42);
    const error = await new Promise((resolve) => stream.once('error', resolve));
    expect(error).toBeInstanceOf(Pop3ResponseError);
    expect((await client.stat()).count).toBe(3);
  });
});

/**
 * A POP3 server with PIPELINING for `count` RETRs that stops answering while
 * only half a window of them is unanswered, until more arrive (or all have):
 * a client that waited for every answer before sending more would stall it.
 * It records the most RETRs that were ever unanswered at once.
 */
async function halfWindowServer(count: number): Promise<{ port: number; readonly mostUnanswered: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let mostUnanswered = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = '';
    let received = 0;
    const unanswered: string[] = [];
    socket.write('+OK ready\r\n');
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let lf = pending.indexOf('\n'); lf >= 0; lf = pending.indexOf('\n')) {
        const [keyword = '', argument = ''] = pending.slice(0, lf).trim().split(' ');
        pending = pending.slice(lf + 1);
        if (keyword === 'RETR') {
          received++;
          unanswered.push(argument);
          mostUnanswered = Math.max(mostUnanswered, unanswered.length);
        } else if (keyword === 'CAPA') {
          socket.write('+OK\r\nUSER\r\nPIPELINING\r\n.\r\n');
        } else {
          socket.write('+OK\r\n');
          if (keyword === 'QUIT') socket.end();
        }
      }
      while (unanswered.length > PIPELINE_WINDOW / 2 || (received === count && unanswered.length > 0)) {
        socket.write(`+OK\r\nSubject: ${unanswered.shift() ?? ''}\r\n.\r\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get mostUnanswered() {
      return mostUnanswered;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
