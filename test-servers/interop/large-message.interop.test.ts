/**
 * A 64 MiB message streamed through Postfix and Dovecot and streamed back over
 * POP3: the body's SHA-256 must match (the header gains trace fields on the way).
 */
import { createHash } from 'node:crypto';
import { afterEach, expect, test } from 'vitest';
import { Pop3Client } from '@sysmail/pop3-client';
import { SmtpCapabilityError, SmtpClient } from '@sysmail/smtp-client';
import { cell } from './support/matrix-cells.js';
import { TranscriptRecorder, headerField, newToken, popOptions, realUser, requireRealServers, simpleMessage, smtpOptions, splitMessage } from './support/harness.js';

const servers = requireRealServers();
const user = realUser(servers, 'other');
const smtpClients: SmtpClient[] = [];
const popClients: Pop3Client[] = [];

afterEach(async () => {
  for (const client of smtpClients.splice(0)) client.close();
  await Promise.all(popClients.splice(0).map((client) => client.close()));
});

const MIB = 1024 * 1024;
/** 128-byte lines, so a mebibyte holds exactly 8192 of them; every 64th starts with a dot. */
const LINES_PER_MIB = MIB / 128;

function bodyChunk(mib: number): Uint8Array {
  const lines: string[] = [];
  for (let i = 0; i < LINES_PER_MIB; i += 1) {
    const n = mib * LINES_PER_MIB + i;
    const prefix = i % 64 === 0 ? '.' : '';
    const head = `${prefix}${n.toString(16).padStart(8, '0')} `;
    lines.push(`${head}${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(4).slice(0, 126 - head.length)}\r\n`);
  }
  return new TextEncoder().encode(lines.join(''));
}

/** The message as a stream, and the SHA-256 of its body computed as it is produced. */
function largeMessage(token: string, mebibytes: number): { header: Uint8Array; stream: AsyncIterable<Uint8Array>; bodyHash: Promise<string>; size: number } {
  const header = simpleMessage(user.address, user.address, token, '');
  const hash = createHash('sha256');
  let resolveHash: (hex: string) => void = () => undefined;
  const bodyHash = new Promise<string>((resolve) => {
    resolveHash = resolve;
  });
  async function* stream(): AsyncIterable<Uint8Array> {
    yield header;
    for (let mib = 0; mib < mebibytes; mib += 1) {
      const chunk = bodyChunk(mib);
      hash.update(chunk);
      yield chunk;
    }
    resolveHash(hash.digest('hex'));
  }
  return { header, stream: stream(), bodyHash, size: header.length + mebibytes * MIB };
}

/** Waits for the message with the token, then streams it back and hashes what follows the header. */
async function deliveredBodyHash(token: string, recorder: TranscriptRecorder): Promise<{ hash: string; bytes: number }> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const pop = await Pop3Client.connect(popOptions(servers, servers.pop3.pop3s, 'tls', recorder));
    popClients.push(pop);
    await pop.login({ username: user.username, password: user.password, method: 'user' });
    for (const { number } of await pop.list()) {
      if (headerField(splitMessage(await pop.top(number, 0)).header, 'X-Interop-Token') !== token) continue;
      const hash = createHash('sha256');
      let pending = Buffer.alloc(0);
      let inBody = false;
      let bytes = 0;
      for await (const chunk of pop.retrieveStream(number)) {
        const piece = Buffer.from(chunk as Uint8Array);
        if (inBody) {
          hash.update(piece);
          bytes += piece.length;
          continue;
        }
        pending = Buffer.concat([pending, piece]);
        const end = pending.indexOf('\r\n\r\n');
        if (end >= 0) {
          inBody = true;
          const rest = pending.subarray(end + 4);
          hash.update(rest);
          bytes += rest.length;
        }
      }
      await pop.delete(number);
      await pop.quit();
      return { hash: hash.digest('hex'), bytes };
    }
    await pop.quit();
    if (Date.now() > deadline) throw new Error(`The 64 MiB message ${token} did not arrive within 90 s; see the Postfix log.`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test(`${cell('Large message (64 MiB) intact', 'SMTP', 'POP3')} 64 MiB streamed in, streamed back, same SHA-256`, async ({ onTestFailed }) => {
  const token = newToken();
  const message = largeMessage(token, 64);
  const recorder = new TranscriptRecorder(onTestFailed, 'SMTP/POP3 64 MiB');
  const client = await SmtpClient.connect(smtpOptions(servers, servers.smtp.smtps, 'tls', recorder));
  smtpClients.push(client);
  await client.authenticate({ username: user.username, password: user.password });
  const limit = client.capabilities.maxSize;
  expect(
    limit === undefined || limit >= message.size,
    `Postfix announces SIZE ${limit}: its message_size_limit must exceed ${message.size} bytes for this test (set it in test-servers/real/start.sh).`,
  ).toBe(true);
  const result = await client.send({ from: user.address, to: [user.address], size: message.size }, message.stream);
  expect(result.accepted).toEqual([user.address]);
  await client.quit();
  const delivered = await deliveredBodyHash(token, recorder);
  expect(delivered.bytes).toBe(64 * MIB);
  expect(delivered.hash).toBe(await message.bodyHash);
});

test(`${cell('Large message (64 MiB) intact', 'SMTP')} a message over the announced SIZE is refused before any content is sent`, async ({ onTestFailed }) => {
  const recorder = new TranscriptRecorder(onTestFailed, 'SMTP over SIZE');
  const client = await SmtpClient.connect(smtpOptions(servers, servers.smtp.smtps, 'tls', recorder));
  smtpClients.push(client);
  await client.authenticate({ username: user.username, password: user.password });
  const limit = client.capabilities.maxSize;
  expect(limit).toBeGreaterThan(0);
  const message = largeMessage(newToken(), Math.ceil((limit ?? 0) / MIB) + 1);
  const failure = await client.send({ from: user.address, to: [user.address], size: message.size }, message.stream).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(SmtpCapabilityError);
  expect(recorder.text()).not.toMatch(/C: (MAIL|BDAT|DATA)/);
  await client.quit();
});
