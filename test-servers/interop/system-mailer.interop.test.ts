/**
 * The system-mail mailer end to end against the real servers: stored settings
 * for POP before SMTP (with its wait) and for SMTP AUTH, a Japanese
 * notification sent through them and read back over POP3.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createSystemMailer, openSettingsStore, SystemMailDeliveryError, type SettingsStore, type SystemMailTranscriptEntry } from '@sysmail/system-mail';
import { forgetPopLogins } from '../real/servers.js';
import { cell } from './support/matrix-cells.js';
import { fetchDelivered, headerField, newToken, realUser, requireRealServers, splitMessage, type RealUser } from './support/harness.js';
import { decodeBody, decodeEncodedWords } from './support/mime-decoding.js';

const servers = requireRealServers();
const dirs: string[] = [];

beforeEach(() => {
  forgetPopLogins(servers);
});

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function storeWith(settings: unknown): Promise<SettingsStore> {
  const dir = await mkdtemp(join(tmpdir(), 'sysmail-interop-'));
  dirs.push(dir);
  const store = await openSettingsStore({ path: join(dir, 'system-mail.json'), key: Buffer.alloc(32, 3).toString('base64') });
  const saved = await store.saveSettings(settings);
  if (!saved.ok) throw new Error(`settings refused: ${JSON.stringify(saved.issues.map((i) => [i.path, i.code]))}`);
  return store;
}

function settings(sender: RealUser, smtp: { port: number; encryption: 'none' | 'tls' | 'starttls' }, auth: unknown): unknown {
  return {
    use: true,
    address: sender.address,
    displayName: 'システム通知',
    server: { type: 'dedicated', oauth: { enabled: false }, smtp: { host: '127.0.0.1', timeoutSeconds: 30, ...smtp }, auth },
  };
}

const SUBJECT = '【ワークフロー】経費精算の承認依頼が届いています';
const TEXT = '承認者各位\n\n経費精算（申請番号 2026-1129）の承認をお願いします。\n\n— システムメール\n';

async function sendAndRead(store: SettingsStore, recipient: RealUser, transcript: SystemMailTranscriptEntry[], sleeps: number[]): Promise<void> {
  const token = newToken();
  const mailer = createSystemMailer({
    store,
    tls: { ca: servers.tls.ca, servername: servers.tls.servername },
    clientName: 'interop.test.sysmail',
    onTranscript: (entry) => transcript.push(entry),
    sleep: async (ms) => {
      sleeps.push(ms);
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
  });
  const result = await mailer.send({ to: recipient.address, subject: SUBJECT, text: TEXT, headers: { 'X-Interop-Token': token } });
  expect(result.accepted).toEqual([recipient.address]);
  const { header, body } = splitMessage(await fetchDelivered(servers, recipient, token));
  expect(headerField(header, 'Message-ID')).toBe(result.messageId);
  expect(decodeEncodedWords(headerField(header, 'Subject') ?? '')).toBe(SUBJECT);
  expect(decodeBody(body, headerField(header, 'Content-Transfer-Encoding')).replace(/\r\n/g, '\n')).toBe(TEXT);
}

function printOnFailure(onTestFailed: (handler: () => void) => void, transcript: SystemMailTranscriptEntry[]): void {
  onTestFailed(() => console.error(transcript.map((e) => `${e.protocol} ${e.direction} ${e.text}`).join('\n')));
}

describe('POP before SMTP', () => {
  const popUser = realUser(servers, 'other');
  const recipient = realUser(servers, 'ascii');

  test.for([
    { name: 'POP3S with USER/PASS', pop: { port: servers.pop3.pop3s.port, tls: true, apop: false } },
    { name: 'plaintext POP3 with APOP', pop: { port: servers.pop3.plain.port, tls: false, apop: true } },
  ])(`${cell('System mailer: POP before SMTP with its wait', 'SMTP', 'POP3')} $name, a 1 s wait, then STARTTLS SMTP`, async ({ pop }, { onTestFailed }) => {
    const transcript: SystemMailTranscriptEntry[] = [];
    const sleeps: number[] = [];
    printOnFailure(onTestFailed, transcript);
    const store = await storeWith(
      settings(popUser, { port: servers.smtp.popBeforeSmtp.port, encryption: 'starttls' }, {
        method: 'pop-before-smtp',
        waitSeconds: 1,
        pop: { host: '127.0.0.1', ...pop, account: popUser.username, password: popUser.password, timeoutSeconds: 30 },
      }),
    );
    await sendAndRead(store, recipient, transcript, sleeps);
    expect(sleeps).toEqual([1000]);
    const lines = transcript.map((e) => `${e.protocol} ${e.direction} ${e.text}`).join('\n');
    expect(lines).toMatch(/pop3 server \+OK Logged in\.[\s\S]*pop3 client QUIT[\s\S]*smtp client STARTTLS/);
    expect(lines).not.toContain(popUser.password);
  });

  test(`${cell('System mailer: POP before SMTP with its wait', 'SMTP')} without a POP login the relay refusal is a rcpt-phase delivery error`, async ({ onTestFailed }) => {
    const transcript: SystemMailTranscriptEntry[] = [];
    printOnFailure(onTestFailed, transcript);
    const store = await storeWith(settings(popUser, { port: servers.smtp.popBeforeSmtp.port, encryption: 'starttls' }, { method: 'none' }));
    const error = await sendAndRead(store, recipient, transcript, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SystemMailDeliveryError);
    expect(error).toMatchObject({ phase: 'rcpt', transient: false, reply: { code: 554, enhancedCode: '5.7.1' } });
  });
});

describe('SMTP AUTH', () => {
  const recipient = realUser(servers, 'euro');

  test.for([
    { encryption: 'starttls', port: servers.smtp.submission.port, mechanism: 'CRAM-MD5', user: 'latin1' },
    { encryption: 'tls', port: servers.smtp.smtps.port, mechanism: 'PLAIN', user: 'euro' },
    { encryption: 'tls', port: servers.smtp.smtps.port, mechanism: 'DIGEST-MD5', user: 'ascii' },
    { encryption: 'none', port: servers.smtp.plainAuth.port, mechanism: 'LOGIN', user: 'ascii' },
  ] as const)(`${cell('System mailer: SMTP AUTH as configured', 'SMTP')} $encryption + $mechanism as $user`, async ({ encryption, port, mechanism, user }, { onTestFailed }) => {
    const transcript: SystemMailTranscriptEntry[] = [];
    printOnFailure(onTestFailed, transcript);
    const sender = realUser(servers, user);
    const store = await storeWith(settings(sender, { port, encryption }, { method: 'smtp-auth', mechanism, account: sender.username, password: sender.password }));
    await sendAndRead(store, recipient, transcript, []);
    expect(transcript.map((e) => e.text).join('\n')).toContain(`AUTH ${mechanism}`);
  });
});
