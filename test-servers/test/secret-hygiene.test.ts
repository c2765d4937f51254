import { afterEach, describe, expect, test } from 'vitest';
import { SmtpClient, SmtpError } from '@sysmail/smtp-client';
import { Pop3Client } from '@sysmail/pop3-client';
import { SystemMailDeliveryError } from '@sysmail/system-mail';
import { Transcript, WireError } from '@sysmail/wire';
import { allowSecretIn, startFakePop3Server, startFakeSmtpServer } from '../src/index.js';
import { describeSecretLeaks, findSecretLeaks } from './support/secret-leaks.js';
import { registeredSecretKinds, takeSecretLeaks } from './support/secret-hygiene.js';

const SMTP_PASSWORD = 'planted-smtp-Pa55word';
const POP_PASSWORD = 'planted-pop-Pa55word';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function smtpServer() {
  const server = await startFakeSmtpServer({ auth: { mechanisms: ['PLAIN', 'CRAM-MD5'], users: { alice: SMTP_PASSWORD } } });
  cleanups.push(() => server.close());
  return server;
}

describe('the secret-hygiene check', () => {
  test('catches a configured password in an error message, naming its kind and never printing it', async () => {
    await smtpServer();
    new SmtpError('auth', `login as alice with ${SMTP_PASSWORD} failed`);
    await Promise.resolve();
    const leaks = takeSecretLeaks();
    expect(leaks.map((leak) => [leak.kind, leak.source])).toEqual([['SMTP password', 'error']]);
    const message = describeSecretLeaks(leaks);
    expect(message).toContain('the SMTP password appeared in error');
    expect(message).not.toContain(SMTP_PASSWORD);
  });

  test('follows the cause chain of an error, however deep, and error subclasses of every package', async () => {
    await smtpServer();
    const innermost = new Error(`server echoed ${SMTP_PASSWORD}`);
    const wire = new WireError('reset', 'connection reset', { cause: new Error('wrapped', { cause: innermost }) });
    new SystemMailDeliveryError({ phase: 'auth', transient: true, messages: { ja: '失敗', en: 'failed' }, cause: wire });
    await Promise.resolve();
    expect(takeSecretLeaks().map((leak) => `${leak.kind} in ${leak.where}`)).toEqual([
      'SMTP password in WireError, cause #2',
      'SMTP password in SystemMailDeliveryError, cause #3',
    ]);
  });

  test('catches a password written to the console or to a transcript that was not told about it', async () => {
    await smtpServer();
    console.info(`debug: password=${SMTP_PASSWORD}`);
    new Transcript().client(`PASS ${SMTP_PASSWORD}`);
    expect(takeSecretLeaks().map((leak) => `${leak.kind} in ${leak.where}`)).toEqual([
      'SMTP password in console.info',
      'SMTP password in transcript client line',
    ]);
  });

  test('registers what a client proves with the password (PLAIN and CRAM-MD5 responses) and sees no leak in a real exchange', async () => {
    const server = await smtpServer();
    const pop = await startFakePop3Server({ users: { bob: POP_PASSWORD } });
    cleanups.push(() => pop.close());
    for (const mechanism of ['PLAIN', 'CRAM-MD5']) {
      const client = await SmtpClient.connect({ host: server.host, port: server.port, security: 'none', clientName: 'hygiene.test', allowPlaintextAuth: true });
      cleanups.push(() => client.close());
      await client.authenticate({ username: 'alice', password: SMTP_PASSWORD, mechanism });
      await client.quit();
    }
    const pop3 = await Pop3Client.connect({ host: pop.host, port: pop.port, security: 'none', allowPlaintextAuth: true });
    cleanups.push(() => pop3.close());
    await pop3.login({ username: 'bob', password: POP_PASSWORD, method: 'user' });
    await pop3.quit();
    const kinds = registeredSecretKinds();
    for (const kind of ['SMTP password', 'PLAIN response', 'CRAM-MD5 response', 'CRAM-MD5 digest', 'POP3 password']) {
      expect(kinds).toContain(kind);
    }
    // And a real exchange, transcripts and all, leaks none of them.
    expect(takeSecretLeaks()).toEqual([]);
  });

  test('records the transcript of a client given no onTranscript', async () => {
    // The client cannot know the password is secret before it authenticates, so a greeting
    // that contains it goes into the transcript as is: the check must see that transcript.
    const server = await startFakeSmtpServer({ greeting: `220 hello ${SMTP_PASSWORD}`, auth: { mechanisms: ['PLAIN'], users: { alice: SMTP_PASSWORD } } });
    cleanups.push(() => server.close());
    const client = await SmtpClient.connect({ host: server.host, port: server.port, security: 'none', clientName: 'hygiene.test' });
    cleanups.push(() => client.close());
    await client.quit();
    expect(takeSecretLeaks().map((leak) => `${leak.kind} in ${leak.where}`)).toEqual(['SMTP password in transcript server line']);
  });

  test('ignores secrets shorter than four characters, which occur in ordinary words', () => {
    const leaks = findSecretLeaks(new Map([['pw', 'SMTP password']]), [{ source: 'console', where: 'console.log', text: 'pwd is /tmp' }]);
    expect(leaks).toEqual([]);
  });

  test('allowSecretIn skips one source for the current test only', async () => {
    await smtpServer();
    allowSecretIn('console', 'this test writes the password to the console on purpose');
    console.info(`debug: ${SMTP_PASSWORD}`);
    new SmtpError('auth', `failed with ${SMTP_PASSWORD}`);
    await Promise.resolve();
    expect(takeSecretLeaks().map((leak) => leak.source)).toEqual(['error']);
    console.info(`debug again: ${SMTP_PASSWORD}`);
    expect(takeSecretLeaks().map((leak) => leak.source)).toEqual(['console']);
    expect(() => allowSecretIn('error', ' ')).toThrow(/needs the reason/);
  });
});
