/**
 * The POP-before-SMTP listener: Postfix's policy refuses RCPT until the client
 * address has logged in to Dovecot's POP3 within the window, then accepts.
 */
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Pop3Client } from '@sysmail/pop3-client';
import { SmtpClient, SmtpReplyError } from '@sysmail/smtp-client';
import { forgetPopLogins, setPopBeforeSmtpWindow } from '../real/servers.js';
import { cell } from './support/matrix-cells.js';
import { TranscriptRecorder, fetchDelivered, newToken, popOptions, realUser, requireRealServers, simpleMessage, smtpOptions } from './support/harness.js';

const servers = requireRealServers();
const sender = realUser(servers, 'other');
const recipient = realUser(servers, 'ascii');
const smtpClients: SmtpClient[] = [];

beforeEach(() => {
  forgetPopLogins(servers);
  setPopBeforeSmtpWindow(servers, servers.smtp.popBeforeSmtp.windowSeconds);
});

afterEach(() => {
  for (const client of smtpClients.splice(0)) client.close();
});

afterAll(() => {
  setPopBeforeSmtpWindow(servers, servers.smtp.popBeforeSmtp.windowSeconds);
});

async function popLogin(recorder: TranscriptRecorder): Promise<void> {
  const pop = await Pop3Client.connect(popOptions(servers, servers.pop3.plain, 'starttls', recorder));
  try {
    await pop.login({ username: sender.username, password: sender.password, method: 'apop' });
    await pop.quit();
  } finally {
    await pop.close();
  }
}

async function trySend(recorder: TranscriptRecorder, token: string): Promise<unknown> {
  const client = await SmtpClient.connect(smtpOptions(servers, servers.smtp.popBeforeSmtp, 'starttls', recorder));
  smtpClients.push(client);
  try {
    return await client.send({ from: sender.address, to: [recipient.address] }, simpleMessage(sender.address, recipient.address, token));
  } catch (error) {
    return error;
  } finally {
    await client.quit();
  }
}

function expectPolicyRefusal(outcome: unknown): void {
  expect(outcome).toBeInstanceOf(SmtpReplyError);
  const error = outcome as SmtpReplyError;
  expect(error.phase).toBe('rcpt');
  expect(error.transient).toBe(false);
  expect(error.rejectedRecipients.map((r) => [r.address, r.reply.code, r.reply.enhancedCode])).toEqual([[recipient.address, 554, '5.7.1']]);
  expect(error.rejectedRecipients[0]?.reply.text).toMatch(/POP before SMTP/);
}

describe('POP before SMTP', () => {
  test(`${cell('POP before SMTP: refused before a POP3 login', 'SMTP')} RCPT is refused with the policy's 554 5.7.1 as a typed error`, async ({ onTestFailed }) => {
    const recorder = new TranscriptRecorder(onTestFailed, 'POP before SMTP, no login');
    expectPolicyRefusal(await trySend(recorder, newToken()));
  });

  test(`${cell('POP before SMTP: accepted after a POP3 login', 'SMTP', 'POP3')} a POP3 login, QUIT, then the same send is accepted and delivered`, async ({ onTestFailed }) => {
    const recorder = new TranscriptRecorder(onTestFailed, 'POP before SMTP, after login');
    expectPolicyRefusal(await trySend(recorder, newToken()));
    await popLogin(recorder);
    const token = newToken();
    const outcome = await trySend(recorder, token);
    expect(outcome).not.toBeInstanceOf(Error);
    expect((outcome as Awaited<ReturnType<SmtpClient['send']>>).accepted).toEqual([recipient.address]);
    await fetchDelivered(servers, recipient, token);
  });

  test(`${cell('POP before SMTP: refused after the window', 'SMTP')} a login older than the window no longer authorises`, async ({ onTestFailed }) => {
    const recorder = new TranscriptRecorder(onTestFailed, 'POP before SMTP, window expired');
    setPopBeforeSmtpWindow(servers, 1);
    await popLogin(recorder);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expectPolicyRefusal(await trySend(recorder, newToken()));
  });
});
