import { afterEach } from 'vitest';
import { startFakePop3Server, tlsFixtures, type FakePop3Server, type FakePop3ServerOptions } from '@sysmail/test-servers';
import { Pop3Client, type Pop3ConnectOptions } from '@sysmail/pop3-client';
import type { TranscriptEntry } from '@sysmail/wire';

/** The password every test account uses; long enough for the transcript scrubber. */
export const PASSWORD = 'correct horse battery';

/**
 * Starts fake servers and connects clients for one test file, closing every
 * client and server after each test so no socket or timer outlives it.
 */
export function useFakePop3(): {
  start(options?: FakePop3ServerOptions): Promise<FakePop3Server>;
  connect(server: FakePop3Server, options?: Partial<Pop3ConnectOptions>): Promise<{ client: Pop3Client; transcript: TranscriptEntry[] }>;
  track(client: Pop3Client): Pop3Client;
} {
  const servers: FakePop3Server[] = [];
  const clients: Pop3Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  return {
    async start(options = {}) {
      const server = await startFakePop3Server({ users: { alice: PASSWORD }, ...options });
      servers.push(server);
      return server;
    },
    async connect(server, options = {}) {
      const transcript: TranscriptEntry[] = [];
      const client = await Pop3Client.connect({
        host: server.host,
        port: server.port,
        security: 'none',
        tls: { ca: tlsFixtures.ca },
        onTranscript: (entry) => transcript.push(entry),
        ...options,
      });
      clients.push(client);
      return { client, transcript };
    },
    track(client) {
      clients.push(client);
      return client;
    },
  };
}

/**
 * Runs a promise expected to fail and returns its error, so tests can assert on the fields.
 *
 * @param promise - the operation
 */
export async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

/** The whole transcript as text, for "never contains the password" checks. */
export function text(transcript: TranscriptEntry[]): string {
  return transcript.map((entry) => `${entry.direction}: ${entry.text}`).join('\n');
}
