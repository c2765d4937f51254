import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, test } from 'vitest';
import { SmtpClient, SmtpError } from '@sysmail/smtp-client';
import { startFakeSmtpServer, tlsFixtures, type FakeSmtpServer, type FakeSmtpServerOptions, type OutputFaults } from '@sysmail/test-servers';
import { activeResources, expectResourcesBackTo, openDescriptors, watchUnhandledRejections } from './harness.js';

const SENDS = 200;
const USER = 'app@example.com';
const PASSWORD = 'load-secret-5e0c';

// A real collection, so that WeakRefs to clients prove they are released (global.gc is not exposed to tests).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A small deterministic generator, so a failing run can be repeated. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state / 2 ** 32;
  };
}

/** Servers that misbehave in different ways, each rule firing for a few of the sessions that race for it. */
function faultyServers(): FakeSmtpServerOptions[] {
  const common: FakeSmtpServerOptions = { starttls: true, auth: { mechanisms: ['PLAIN'], users: { [USER]: PASSWORD } } };
  const framing: OutputFaults[] = [{}, { chunkSize: 1 }, { splitAt: [1, 2, 3] }, { delayMs: 5 }];
  return framing.map((faults) => ({
    ...common,
    faults,
    script: [
      { command: 'EHLO', action: 'close-mid-reply', reply: '250-fake.test\r\n250 STARTTLS', afterBytes: 7, times: 4 },
      { command: 'AUTH', reply: '454 4.7.0 Temporary authentication failure', times: 4 },
      { command: 'MAIL', reply: '451 4.3.0 Try again later', times: 4 },
      { command: 'RCPT', action: 'close', times: 4 },
      { command: 'DATA', action: 'garbage', bytes: Uint8Array.from([0x00, 0xff, 0x0d, 0x0a]), times: 3 },
      { command: 'DATA-END', action: 'silent', times: 3 },
      { command: 'DATA-END', action: 'close-mid-reply', reply: '250 2.0.0 Ok: queued', afterBytes: 4, times: 3 },
    ],
  }));
}

test(`${SENDS} concurrent sends with random faults: every promise settles, memory, descriptors and clients are released`, async () => {
  const watcher = watchUnhandledRejections();
  // An Error's unformatted stack keeps its frames' receivers (clients, connections) alive for as long as the
  // error is held, and the suite's secret-hygiene setup holds every error until the test ends: without
  // frames, what stays reachable is what the clients themselves leak.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  cleanups.push(async () => {
    Error.stackTraceLimit = stackTraceLimit;
  });
  const servers: FakeSmtpServer[] = [];
  for (const options of faultyServers()) servers.push(await startFakeSmtpServer(options));
  cleanups.push(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });
  const next = random(0x5eed);
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const descriptorsBefore = openDescriptors();
  const resourcesBefore = activeResources();
  const clients: WeakRef<SmtpClient>[] = [];
  const registry = new FinalizationRegistry<number>(() => undefined);

  const sends = Array.from({ length: SENDS }, async (_, index) => {
    const server = servers[Math.floor(next() * servers.length)] as FakeSmtpServer;
    const subject = `load-${index}`;
    let client: SmtpClient | undefined;
    try {
      client = await SmtpClient.connect({
        host: '127.0.0.1',
        port: server.port,
        security: 'starttls',
        clientName: 'client.example',
        tls: { ca: tlsFixtures.ca },
        timeouts: { connect: 10_000, greeting: 10_000, command: 10_000, data: 1_000 },
      });
      clients.push(new WeakRef(client));
      registry.register(client, index);
      await client.authenticate({ username: USER, password: PASSWORD, mechanism: 'PLAIN' });
      await client.send({ from: USER, to: ['a@example.org'] }, `Subject: ${subject}\r\n\r\nbody\r\n`);
      await client.quit();
      return { subject, sent: true as const };
    } catch (error) {
      if (!(error instanceof SmtpError)) throw error;
      return { subject, sent: false as const, failure: `${error.name}:${error.phase}:${String(error.transient)}` };
    } finally {
      client?.close();
    }
  });
  const outcomes = await Promise.allSettled(sends);

  // Every promise settled with a result or a typed error, never anything else.
  const results = outcomes.map((outcome) => {
    if (outcome.status === 'rejected') throw outcome.reason;
    return outcome.value;
  });
  expect(results).toHaveLength(SENDS);
  const sent = results.filter((result) => result.sent);
  const failed = results.filter((result) => !result.sent);
  expect(failed.length).toBeGreaterThan(0);
  expect(sent.length).toBeGreaterThan(0);
  // Nothing reported sent that a server did not accept.
  const accepted = new Set(servers.flatMap((server) => server.messages.map((message) => /Subject: (load-\d+)/.exec(Buffer.from(message.content).toString('latin1'))?.[1])));
  for (const result of sent) expect(accepted.has(result.subject)).toBe(true);

  await Promise.all(servers.map((server) => server.close()));
  await expectResourcesBackTo(resourcesBefore);
  if (descriptorsBefore !== undefined) expect(openDescriptors()).toBeLessThanOrEqual(descriptorsBefore);
  // Clients are released once their sessions end: the process holds none of them.
  for (let attempt = 0; attempt < 20 && clients.some((ref) => ref.deref() !== undefined); attempt++) {
    await sleep(10);
    collectGarbage();
  }
  expect(clients.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  collectGarbage();
  // Generous: the servers' records and the test's own arrays stay alive; sessions must not.
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1024 * 1024);
  expect(watcher.stop()).toEqual([]);
}, 60_000);
