import { afterEach, describe, expect, test } from 'vitest';
import type * as net from 'node:net';
import { listen, ServerConnection, tlsFixtures, type TestListener } from '@sysmail/test-servers';
import { Transcript, WireConnection, WireError, type TranscriptEntry } from '@sysmail/wire';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(onConnection: (conn: ServerConnection, socket: net.Socket) => void | Promise<void>, implicitTls = false): Promise<TestListener> {
  const listener = await listen({
    implicitTls: implicitTls ? tlsFixtures.localhost : undefined,
    onSocket: (socket) => void onConnection(new ServerConnection(socket), socket),
  });
  cleanups.push(() => listener.close());
  return listener;
}

async function connect(port: number, extra: Partial<Parameters<typeof WireConnection.connect>[0]> = {}): Promise<WireConnection> {
  const connection = await WireConnection.connect({ host: '127.0.0.1', port, connectTimeout: 2000, tls: { ca: tlsFixtures.ca }, ...extra });
  cleanups.push(() => connection.destroy());
  return connection;
}

async function readAll(connection: WireConnection): Promise<string> {
  let text = '';
  for (let chunk = await connection.read(); chunk !== null; chunk = await connection.read()) text += Buffer.from(chunk).toString();
  return text;
}

async function expectWireError(promise: Promise<unknown>, kind: WireError['kind']): Promise<WireError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WireError);
  expect((error as WireError).kind).toBe(kind);
  return error as WireError;
}

describe('WireConnection', () => {
  test('reads and writes over plain TCP, then reads null at EOF', async () => {
    const listener = await server(async (conn) => {
      const line = await conn.readLine();
      await conn.send(`echo ${line?.toString()}`);
      conn.end();
    });
    const connection = await connect(listener.port);
    expect(connection.secure).toBe(false);
    await connection.write('hello\r\n');
    expect(await readAll(connection)).toBe('echo hello\r\n');
  });

  test('refuses a connection that cannot be made with a connect error', async () => {
    const listener = await server(() => undefined);
    const port = listener.port;
    await listener.close();
    const error = await expectWireError(WireConnection.connect({ host: '127.0.0.1', port, connectTimeout: 2000 }), 'connect');
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.transient).toBe(true);
  });

  test('implicit TLS verifies the certificate against the given CA and reports it', async () => {
    const listener = await server(async (conn) => conn.send('hi\r\n'), true);
    const entries: TranscriptEntry[] = [];
    const connection = await connect(listener.port, { implicitTls: true, transcript: new Transcript((e) => entries.push(e)) });
    expect(connection.secure).toBe(true);
    expect(connection.tlsDetails?.authorized).toBe(true);
    expect(connection.tlsDetails?.peerSubject).toBe('localhost');
    expect(entries.map((e) => e.text).join('\n')).toMatch(/TLS established: TLSv1\.3/);
    expect(connection.channelBinding()?.data).toHaveLength(32);
  });

  test.each([
    ['unknown CA', tlsFixtures.unknownCa, 'localhost', /not (signed by a trusted CA|trusted)/],
    ['wrong host', tlsFixtures.otherHost, 'localhost', /another name/],
    ['expired', tlsFixtures.expired, 'localhost', /expired/],
  ])('implicit TLS refuses a certificate: %s', async (_name, pair, host, advice) => {
    const listener = await listen({ implicitTls: pair, onSocket: () => undefined });
    cleanups.push(() => listener.close());
    const error = await expectWireError(
      WireConnection.connect({ host, port: listener.port, implicitTls: true, connectTimeout: 2000, tls: { ca: tlsFixtures.ca } }),
      'tls',
    );
    expect(error.message).toMatch(advice);
  });

  test('a server that hangs up during the handshake is a transient reset, not a certificate failure', async () => {
    const listener = await listen({ onSocket: (socket) => socket.once('data', () => socket.resetAndDestroy()) });
    cleanups.push(() => listener.close());
    const error = await WireConnection.connect({ host: '127.0.0.1', port: listener.port, implicitTls: true, connectTimeout: 2000 }).then(
      () => undefined,
      (e: unknown) => e as WireError,
    );
    expect(error).toBeInstanceOf(WireError);
    expect(['reset', 'closed']).toContain(error?.kind);
    expect(error?.transient).toBe(true);
  });

  test('the default trust store refuses the test CA', async () => {
    const listener = await server(() => undefined, true);
    await expectWireError(WireConnection.connect({ host: 'localhost', port: listener.port, implicitTls: true, connectTimeout: 2000 }), 'tls');
  });

  test('upgrades in place and both sides talk over TLS afterwards', async () => {
    const listener = await server(async (conn) => {
      await conn.readLine();
      await conn.send('go ahead\r\n');
      await conn.startTls(tlsFixtures.localhost);
      const line = await conn.readLine();
      await conn.send(`secure ${String(conn.secure)} ${line?.toString()}`);
      conn.end();
    });
    const connection = await connect(listener.port);
    await connection.write('STARTTLS\r\n');
    expect(Buffer.from((await connection.read()) ?? []).toString()).toBe('go ahead\r\n');
    await connection.upgradeToTls();
    expect(connection.secure).toBe(true);
    await connection.write('ping\r\n');
    expect(await readAll(connection)).toBe('secure true ping\r\n');
  });

  test('bytes received after the upgrade reply and before the handshake are an injection', async () => {
    const listener = await server(async (conn) => {
      await conn.readLine();
      await conn.send('go ahead\r\n250 injected\r\n');
    });
    const connection = await connect(listener.port);
    await connection.write('STARTTLS\r\n');
    let received = '';
    while (!received.includes('injected')) received += Buffer.from((await connection.read()) ?? []).toString();
    // The protocol parser consumed the first line and holds the injected one.
    const pendingBytes = Buffer.byteLength('250 injected\r\n');
    const error = await expectWireError(connection.upgradeToTls({ pendingBytes }), 'injection');
    expect(error.message).toMatch(/injected by an attacker/);
    expect(connection.closed).toBe(true);
  });

  test('unread bytes buffered in the connection itself are an injection too', async () => {
    const listener = await server(async (conn) => {
      await conn.readLine();
      await conn.send('go ahead\r\n');
      await new Promise((resolve) => setTimeout(resolve, 20));
      await conn.send('250 injected\r\n');
    });
    const connection = await connect(listener.port);
    await connection.write('STARTTLS\r\n');
    await connection.read();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expectWireError(connection.upgradeToTls(), 'injection');
  });

  test('a refused certificate during an upgrade is a TLS failure with advice, not a reset', async () => {
    const listener = await server(async (conn) => {
      await conn.readLine();
      await conn.send('go ahead\r\n');
      await conn.startTls(tlsFixtures.unknownCa).catch(() => undefined);
    });
    const connection = await connect(listener.port);
    await connection.write('STARTTLS\r\n');
    await connection.read();
    const error = await expectWireError(connection.upgradeToTls(), 'tls');
    expect(error.message).toMatch(/trusted/);
  });

  test('destroy(error) fails pending and later operations with that error', async () => {
    const listener = await server(() => undefined);
    const connection = await connect(listener.port);
    const reading = connection.read();
    const cause = new WireError('reset', 'the protocol said no');
    connection.destroy(cause);
    await expect(reading).rejects.toBe(cause);
    await expect(connection.write('x')).rejects.toBe(cause);
  });

  test("a step that destroys the connection itself rejects with its own error, not a generic 'closed'", async () => {
    const listener = await server(() => undefined);
    const connection = await connect(listener.port);
    const own = new Error('reply line too long');
    const outcome = connection.withDeadline('command', 2000, async () => {
      const reading = connection.read();
      connection.destroy();
      await reading.catch(() => undefined);
      throw own;
    });
    await expect(outcome).rejects.toBe(own);
  });

  test('a deadline is total: a server dripping bytes cannot stretch it', async () => {
    const listener = await server(async (conn) => {
      conn.faults = { dripMs: 30 };
      await conn.send('220 a greeting that never ends because it drips slowly');
    });
    const connection = await connect(listener.port);
    const started = Date.now();
    const error = await expectWireError(
      connection.withDeadline('greeting', 300, async () => {
        for (;;) {
          const chunk = await connection.read();
          if (chunk === null) return;
        }
      }),
      'timeout',
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.phase).toBe('greeting');
    expect(error.message).toMatch(/within 0\.3 s during greeting/);
    expect(connection.closed).toBe(true);
  });

  test('a restarted deadline runs from the restart, under the phase and duration given last', async () => {
    const listener = await server(() => undefined);
    const connection = await connect(listener.port);
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    const started = Date.now();
    const error = await expectWireError(
      connection.withDeadline('first', 150, async (restart) => {
        // Six steps of 50 ms: 300 ms in all, each well within its own 150 ms.
        for (let step = 0; step < 6; step++) {
          restart('steps', 150);
          await sleep(50);
        }
        restart('last', 100);
        await connection.read();
      }),
      'timeout',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(error.phase).toBe('last');
    expect(error.message).toMatch(/within 0\.1 s during last/);
    expect(connection.closed).toBe(true);
  });

  test('a deadline restarted shorter is cut off at the shorter expiry', async () => {
    const listener = await server(() => undefined);
    const connection = await connect(listener.port);
    const started = Date.now();
    const error = await expectWireError(
      connection.withDeadline('long', 5000, async (restart) => {
        restart('short', 100);
        await connection.read();
      }),
      'timeout',
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.phase).toBe('short');
  });

  test('a deadline alternating between two durations keeps no timer per restart and none after the step', async () => {
    const listener = await server(() => undefined);
    const connection = await connect(listener.port);
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    let most = 0;
    await connection.withDeadline('a', 1000, async (restart) => {
      for (let step = 0; step < 1000; step++) {
        restart('a', 1000);
        restart('b', 60_000);
        if (step % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
        most = Math.max(most, timers() - before);
      }
    });
    expect(most).toBeLessThanOrEqual(2);
    expect(timers()).toBe(before);
  });

  test('aborting fails the pending read and closes the connection', async () => {
    const listener = await server(() => undefined);
    const controller = new AbortController();
    const connection = await connect(listener.port, { signal: controller.signal });
    const reading = connection.read();
    controller.abort(new Error('user gave up'));
    const error = await expectWireError(reading, 'aborted');
    expect(error.cause).toBeInstanceOf(Error);
    expect(connection.closed).toBe(true);
    await expectWireError(connection.write('x'), 'aborted');
  });

  test('an already-aborted signal refuses to connect', async () => {
    const listener = await server(() => undefined);
    await expectWireError(connect(listener.port, { signal: AbortSignal.abort() }), 'aborted');
  });

  test('pauses the socket when unread bytes exceed the bound, and resumes as they are read', async () => {
    const total = 8 * 1024 * 1024;
    const listener = await server(async (conn) => {
      await conn.send(Buffer.alloc(total, 0x61));
      conn.end();
    });
    const connection = await connect(listener.port, { maxBufferedBytes: 64 * 1024 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    let received = 0;
    for (let chunk = await connection.read(); chunk !== null; chunk = await connection.read()) received += chunk.length;
    expect(received).toBe(total);
  });

  test('a client that stops reading pushes the server back: it holds a bounded amount, then reads everything', async () => {
    const total = 64 * 1024 * 1024;
    const block = Buffer.alloc(1024 * 1024, 0x62);
    let accepted = 0;
    const listener = await server(async (_conn, socket) => {
      while (accepted < total && !socket.destroyed) {
        accepted += block.length;
        if (!socket.write(block)) await new Promise((resolve) => socket.once('drain', resolve));
      }
      socket.end();
    });
    const connection = await connect(listener.port, { maxBufferedBytes: 64 * 1024 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The bound, one read and the kernel's socket buffers: far from all 64 MiB.
    expect(accepted).toBeLessThan(total / 2);
    let received = 0;
    for (let chunk = await connection.read(); chunk !== null; chunk = await connection.read()) received += chunk.length;
    expect(received).toBe(total);
  });

  test('bytes arrive intact and in order through small and large reads, and no chunk is overwritten by a later read', async () => {
    const pattern = (length: number, seed: number): Buffer => Buffer.from(Array.from({ length }, (_, i) => (seed * 31 + i * 7) % 251));
    const pieces = [pattern(10, 1), pattern(700_000, 2), pattern(3, 3), pattern(70_000, 4), pattern(1, 5), pattern(300_000, 6), pattern(17, 7)];
    const listener = await server(async (_conn, socket) => {
      for (const piece of pieces) {
        socket.write(piece);
        // Apart in time, so small pieces come in reads of their own.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      socket.end();
    });
    const connection = await connect(listener.port);
    const chunks: Uint8Array[] = [];
    for (let chunk = await connection.read(); chunk !== null; chunk = await connection.read()) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(Buffer.concat(pieces))).toBe(true);
    // A short read is a chunk of its own, not a view pinning a large read buffer.
    const short = chunks.find((chunk) => chunk.length < 100);
    expect(short?.buffer.byteLength).toBeLessThan(64 * 1024);
  });

  test('write waits for drain when the peer does not read, and fails once the peer is gone', async () => {
    let peer: net.Socket | undefined;
    const listener = await server((_conn, socket) => {
      peer = socket;
      socket.pause();
    });
    const connection = await connect(listener.port);
    const chunk = Buffer.alloc(1024 * 1024);
    let pending: Promise<void> | undefined;
    for (let i = 0; i < 64; i++) {
      const write = connection.write(chunk);
      const settled = await Promise.race([write.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 50))]);
      if (!settled) {
        pending = write;
        break;
      }
    }
    expect(pending).toBeDefined();
    peer?.destroy();
    await expect(pending).rejects.toBeInstanceOf(WireError);
  });

  test('close() is graceful and idempotent, destroy() after it is harmless', async () => {
    let serverSawEnd = false;
    const listener = await server(async (conn) => {
      serverSawEnd = (await conn.readLine()) === null;
    });
    const connection = await connect(listener.port);
    await Promise.all([connection.close(), connection.close()]);
    connection.destroy();
    expect(connection.closed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(serverSawEnd).toBe(true);
    await expectWireError(connection.write('x'), 'closed');
  });

  test('leaves no socket or timer behind after failures', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    const listener = await server(() => undefined);
    for (let i = 0; i < 5; i++) {
      const connection = await WireConnection.connect({ host: '127.0.0.1', port: listener.port, connectTimeout: 1000 });
      await connection.withDeadline('greeting', 20, () => connection.read()).catch(() => undefined);
    }
    await listener.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    expect(after).toBeLessThanOrEqual(before);
  });
});

describe('Transcript', () => {
  test('scrubs registered secrets and uses the redacted form when given', () => {
    const entries: TranscriptEntry[] = [];
    const transcript = new Transcript((e) => entries.push(e));
    transcript.addSecret('hunter22');
    transcript.client('AUTH PLAIN AGpvZQBodW50ZXIyMg==', 'AUTH PLAIN <redacted>');
    transcript.server('535 hunter22 is wrong');
    transcript.info('plain note');
    expect(entries).toEqual([
      { direction: 'client', text: 'AUTH PLAIN <redacted>' },
      { direction: 'server', text: '535 <redacted> is wrong' },
      { direction: 'info', text: 'plain note' },
    ]);
    expect(transcript.enabled).toBe(true);
    expect(new Transcript().enabled).toBe(false);
  });
});
