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
    // 0 advertises SIZE without a limit; a small limit refuses some messages before MAIL.
    size: fc.oneof(fc.constantFrom(false as const, 0, 10 * 1024 * 1024), fc.integer({ min: 1, max: 400_000 })),
  }),
  mechanism: fc.constantFrom('PLAIN', 'LOGIN', 'CRAM-MD5', 'DIGEST-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS', null),
  dsn: fc.option(
    fc.record(
      {
        ret: fc.constantFrom('FULL' as const, 'HDRS' as const),
        envid: fc.stringMatching(/^[!-~]{1,20}$/),
        notify: fc.constantFrom(['NEVER' as const], ['SUCCESS' as const, 'FAILURE' as const], ['DELAY' as const]),
        orcpt: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    { nil: undefined },
  ),
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

/** RFC 3461 xtext: '+', '=' and bytes outside '!'..'~' as +XX. */
function xtext(text: string): string {
  return text.replace(/[^!-*,-<>-~]/g, (c) => `+${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

async function* chunksOf(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += 777) yield bytes.subarray(i, i + 777);
}

test.prop([scenario], { numRuns: 25 })('send() reports exactly what the server recorded', async ({ extensions, mechanism, dsn, recipients, message, streamed }) => {
  const server = await startFakeSmtpServer({
    // DIGEST-MD5's digest-uri names the host connected to, which the server checks against its own name.
    hostname: '127.0.0.1',
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
    const envelope = { from: 'app@example.com', to, ...(dsn === undefined ? {} : { dsn }), ...(streamed ? { size: message.length, eightBit } : {}) };
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
    const declared = streamed ? message.length : normalise(message).length;
    if (typeof extensions.size === 'number' && extensions.size > 0 && declared > extensions.size) {
      expect('error' in outcome && outcome.error).toBeInstanceOf(SmtpCapabilityError);
      expect(server.sessions[0]?.commands.some((command) => command.startsWith('MAIL'))).toBe(false);
      expect(server.messages).toHaveLength(0);
      return;
    }
    if (good.length > 0 && typeof extensions.size === 'number' && extensions.size > 0 && normalise(message).length > extensions.size) {
      // A stream declared within the limit whose CRLF-normalised content is over it: the server refuses the content.
      expect('error' in outcome && outcome.error).toBeInstanceOf(SmtpReplyError);
      expect('error' in outcome && outcome.error).toMatchObject({ phase: 'data', reply: { code: 552 } });
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
    expect(recorded?.mailParameters.SIZE).toBe(extensions.size === false ? undefined : String(declared));
    expect(recorded?.mailParameters.BODY).toBe(eightBit ? '8BITMIME' : undefined);
    const offeredDsn = extensions.dsn ? dsn : undefined;
    expect(recorded?.mailParameters.RET).toBe(offeredDsn?.ret);
    expect(recorded?.mailParameters.ENVID).toBe(offeredDsn?.envid === undefined ? undefined : xtext(offeredDsn.envid));
    expect(recorded?.recipientParameters).toEqual(
      good.map((address) => ({
        ...(offeredDsn?.notify === undefined ? {} : { NOTIFY: offeredDsn.notify.join(',') }),
        ...(offeredDsn?.orcpt === true ? { ORCPT: `rfc822;${xtext(address)}` } : {}),
      })),
    );
    if (extensions.pipelining) expect(recorded?.session.batches.some((batch) => batch[0]?.startsWith('MAIL') && batch.length > 1)).toBe(true);
    else expect(recorded?.session.batches.every((batch) => batch.length === 1)).toBe(true);
    await client.quit();
  } finally {
    client?.close();
    await server.close();
  }
});
