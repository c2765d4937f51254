import { afterEach } from 'vitest';
import { startFakeSmtpServer, tlsFixtures, type FakeSmtpServer, type FakeSmtpServerOptions } from '@sysmail/test-servers';
import type { TranscriptEntry } from '@sysmail/wire';
import { SmtpClient, SmtpError, type SmtpClientOptions } from '../src/index.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts a fake server that is closed after the test. */
export async function fakeServer(options: FakeSmtpServerOptions = {}): Promise<FakeSmtpServer> {
  const server = await startFakeSmtpServer(options);
  cleanups.push(() => server.close());
  return server;
}

/** Connects to a fake server (plaintext unless told otherwise), trusting the test CA; closed after the test. */
export async function connectTo(server: FakeSmtpServer, options: Partial<SmtpClientOptions> = {}): Promise<SmtpClient> {
  const client = await SmtpClient.connect({ host: '127.0.0.1', port: server.port, security: 'none', tls: { ca: tlsFixtures.ca }, timeouts: 5000, ...options });
  cleanups.push(() => client.close());
  return client;
}

/** Registers a cleanup to run after the test. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

/** Awaits a promise that must reject with an SmtpError, and returns the error. */
export async function failure(promise: Promise<unknown>): Promise<SmtpError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof SmtpError)) throw outcome.error;
  return outcome.error;
}

/** Collects transcript entries. */
export function transcriptSink(): { entries: TranscriptEntry[]; text: () => string; onTranscript: (entry: TranscriptEntry) => void } {
  const entries: TranscriptEntry[] = [];
  return { entries, text: () => entries.map((e) => `${e.direction}: ${e.text}`).join('\n'), onTranscript: (entry) => entries.push(entry) };
}

export const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
