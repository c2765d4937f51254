import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { startFakeSmtpServer, tlsFixtures } from '@sysmail/test-servers';
import { SmtpCapabilityError, SmtpClient, SmtpReplyError } from '../src/index.js';

const users = { alice: 'pa55 word' };

const scenario = fc.record({
  extensions: fc.record({
    pipelining: fc.boolean(),
    chunking: fc.boolean(),
    eightBitMime: fc.boolean(),
    dsn: fc.boolean(),
    enhancedStatusCodes: fc.boolean(),
    size: fc.constantFrom(false as const, 0, 10 * 1024 * 1024),
  }),
  mechanism: fc.constantFrom('PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS', null),
  recipients: fc.uniqueArray(fc.record({ name: fc.stringMatching(/^[a-z]{1,8}$/), bad: fc.boolean() }), { minLength: 1, maxLength: 6, selector: (r) => r.name }),
  message: fc.oneof(
    fc.uint8Array({ maxLength: 2000 }),
    fc.array(fc.constantFrom(0x0d, 0x0a, 0x2e, 0x41, 0xc3, 0xa9), { maxLength: 3000 }).map((b) => Uint8Array.from(b)),
    fc.integer({ min: 0, max: 300_000 }).map((n) => new Uint8Array(n).fill(0x61)),
  ),
  streamed: fc.boolean(),
});

function normalise(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('latin1').replace(/\r\n|\r|\n/g, '\r\n');
  return text.length === 0 || text.endsWith('\r\n') ? text : `${text}\r\n`;
}

async function* chunksOf(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += 777) yield bytes.subarray(i, i + 777);
}

test.prop([scenario], { numRuns: 25 })('send() reports exactly what the server recorded', async ({ extensions, mechanism, recipients, message, streamed }) => {
  const server = await startFakeSmtpServer({
    implicitTls: true,
    extensions,
    auth: mechanism === null ? undefined : { mechanisms: [mechanism], users },
    script: [{ command: 'RCPT', match: /<bad-/, reply: '550 5.1.1 No such user' }],
  });
  let client: SmtpClient | undefined;
  try {
    client = await SmtpClient.connect({ host: '127.0.0.1', port: server.port, security: 'tls', tls: { ca: tlsFixtures.ca }, timeouts: 10_000 });
    if (mechanism !== null) expect((await client.authenticate({ username: 'alice', password: users.alice })).mechanism).toBe(mechanism);
    const to = recipients.map((r) => `${r.bad ? 'bad-' : ''}${r.name}@example.org`);
    const eightBit = message.some((byte) => byte >= 0x80);
    const envelope = { from: 'app@example.com', to, ...(streamed ? { size: message.length, eightBit } : {}) };
    const outcome = await client.send(envelope, streamed ? chunksOf(message) : message).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    const good = to.filter((address) => !address.startsWith('bad-'));
    if (eightBit && !extensions.eightBitMime) {
      expect('error' in outcome && outcome.error).toBeInstanceOf(SmtpCapabilityError);
      expect(server.messages).toHaveLength(0);
      return;
    }
    if (good.length === 0) {
      expect('error' in outcome && outcome.error).toBeInstanceOf(SmtpReplyError);
      expect('error' in outcome && (outcome.error as SmtpReplyError).phase).toBe('rcpt');
      expect(server.messages).toHaveLength(0);
      return;
    }
    if (!('result' in outcome)) throw outcome.error;
    const recorded = server.messages[0];
    expect(server.messages).toHaveLength(1);
    expect(outcome.result.accepted).toEqual(recorded?.recipients);
    expect(outcome.result.accepted).toEqual(good);
    expect(outcome.result.rejected.map((r) => r.address)).toEqual(recorded?.rejectedRecipients);
    expect(outcome.result.rejected.every((r) => r.reply.code === 550)).toBe(true);
    expect(Buffer.from(recorded?.content ?? []).toString('latin1')).toBe(normalise(message));
    expect(recorded?.via).toBe(extensions.chunking ? 'BDAT' : 'DATA');
    const declared = streamed ? message.length : normalise(message).length;
    expect(recorded?.mailParameters.SIZE).toBe(extensions.size === false ? undefined : String(declared));
    expect(recorded?.mailParameters.BODY).toBe(eightBit ? '8BITMIME' : undefined);
    if (extensions.pipelining) expect(recorded?.session.batches.some((batch) => batch[0]?.startsWith('MAIL') && batch.length > 1)).toBe(true);
    else expect(recorded?.session.batches.every((batch) => batch.length === 1)).toBe(true);
    await client.quit();
  } finally {
    client?.close();
    await server.close();
  }
});
