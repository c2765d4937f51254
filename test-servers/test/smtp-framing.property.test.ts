import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePathArgument } from '../src/smtp/smtp-path-parser.js';
import { startFakeSmtpServer, type FakeSmtpServer } from '../src/index.js';
import { destroyRawClients, RawSmtp } from './smtp-raw-client.js';

let servers: FakeSmtpServer[] = [];
afterEach(async () => {
  destroyRawClients();
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

const atom = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]{1,8}$/);
const label = fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9-]{0,6}[A-Za-z0-9])?$/);
const mailbox = fc
  .tuple(fc.array(atom, { minLength: 1, maxLength: 3 }), fc.array(label, { minLength: 1, maxLength: 3 }))
  .map(([local, domain]) => `${local.join('.')}@${domain.join('.')}`);

describe('fake SMTP server: path parsing', () => {
  it('never throws on any argument', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        parsePathArgument(text, 'FROM:', true);
        parsePathArgument(`TO:<${text}>`, 'TO:', false);
      }),
    );
  });

  it('gives back any RFC 5321 mailbox and its parameters', () => {
    const parameter = fc.tuple(fc.stringMatching(/^[A-Z][A-Z0-9-]{0,6}$/), fc.stringMatching(/^[!-<>-~]{1,8}$/));
    fc.assert(
      fc.property(mailbox, fc.uniqueArray(parameter, { selector: ([keyword]) => keyword, maxLength: 3 }), (address, parameters) => {
        const text = `FROM:<${address}>${parameters.map(([k, v]) => ` ${k}=${v}`).join('')}`;
        expect(parsePathArgument(text, 'FROM:', true)).toEqual({ address, parameters: Object.fromEntries(parameters), utf8: false });
      }),
    );
  });
});

describe('fake SMTP server: DATA under any fragmentation', () => {
  it('records the exact bytes and un-stuffs them, however the client cuts its writes', async () => {
    const server = await startFakeSmtpServer();
    servers.push(server);
    const line = fc.stringMatching(/^[.]{0,2}[ -~]{0,20}$/);
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 10 }), async (lines, cuts) => {
        const content = lines.map((l) => `${l}\r\n`).join('');
        const stuffed = lines.map((l) => `${l.startsWith('.') ? '.' : ''}${l}\r\n`).join('');
        const client = await RawSmtp.connect(server.port);
        await client.reply();
        await client.command('EHLO c');
        await client.command('MAIL FROM:<a@example.com>');
        await client.command('RCPT TO:<b@example.com>');
        await client.command('DATA');
        const bytes = Buffer.from(`${stuffed}.\r\n`);
        let offset = 0;
        for (let i = 0; offset < bytes.length; i++) {
          const size = cuts[i % cuts.length] ?? 1;
          client.write(bytes.subarray(offset, offset + size));
          offset += size;
          await new Promise((resolve) => setImmediate(resolve));
        }
        expect(await client.reply()).toMatch(/^250 2\.0\.0/);
        const message = server.messages.at(-1);
        expect(Buffer.from(message?.data ?? []).toString()).toBe(stuffed);
        expect(Buffer.from(message?.content ?? []).toString()).toBe(content);
        client.destroy();
      }),
      { numRuns: 30 },
    );
  });
});
