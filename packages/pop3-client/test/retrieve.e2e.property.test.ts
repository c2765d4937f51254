import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { startFakePop3Server, type OutputFaults } from '@sysmail/test-servers';
import { Pop3Client } from '@sysmail/pop3-client';
import { PASSWORD } from './helpers.js';

/** Messages rich in the bytes that matter: '.', CR, LF; a few long enough to span many reads. */
const messageBytes = fc.oneof(
  fc.array(fc.oneof(fc.constantFrom(0x2e, 0x0d, 0x0a), fc.integer({ min: 0, max: 255 })), { maxLength: 400 }).map((b) => Uint8Array.from(b)),
  fc.array(fc.constantFrom('.', '..', '\r\n', '\n', '\r', '.\r\n', 'x'.repeat(300)), { maxLength: 40 }).map((parts) => Buffer.from(parts.join(''), 'latin1')),
);

/** Where the fake server cuts each write: at chosen offsets, or into small pieces. */
const faults: fc.Arbitrary<OutputFaults> = fc.oneof(
  fc.uniqueArray(fc.integer({ min: 1, max: 600 }), { maxLength: 12 }).map((offsets) => ({ splitAt: offsets.sort((a, b) => a - b) })),
  fc.integer({ min: 2, max: 64 }).map((chunkSize) => ({ chunkSize })),
);

/** What the client must give back: the message, with the CRLF the server adds when it does not end in one. */
function served(message: Uint8Array): Buffer {
  const bytes = Buffer.from(message);
  return bytes.length === 0 || bytes.subarray(-2).toString('latin1') === '\r\n' ? bytes : Buffer.concat([bytes, Buffer.from('\r\n')]);
}

test.prop([fc.array(messageBytes, { minLength: 1, maxLength: 3 }), faults], { numRuns: 30 })(
  'messages stuffed by the fake server come back exactly from retrieve() and retrieveStream(), however the stream is cut',
  async (messages, outputFaults) => {
    const server = await startFakePop3Server({ users: { alice: PASSWORD }, mailbox: messages, faults: outputFaults });
    let client: Pop3Client | undefined;
    try {
      client = await Pop3Client.connect({ host: server.host, port: server.port, security: 'none', allowPlaintextAuth: true, timeouts: 10_000 });
      await client.login({ username: 'alice', password: PASSWORD, method: 'user' });
      for (const [index, message] of messages.entries()) {
        expect(Buffer.from(await client.retrieve(index + 1)).equals(served(message))).toBe(true);
        const chunks: Buffer[] = [];
        for await (const chunk of client.retrieveStream(index + 1)) chunks.push(Buffer.from(chunk as Uint8Array));
        expect(Buffer.concat(chunks).equals(served(message))).toBe(true);
      }
      expect((await client.noop()).line).toMatch(/^\+OK/);
      await client.quit();
    } finally {
      await client?.close();
      await server.close();
    }
  },
);
