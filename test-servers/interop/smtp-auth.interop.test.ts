/**
 * SMTP AUTH against Postfix (through Dovecot SASL): every security mode ×
 * every mechanism × every password user, each followed by a message to the
 * user itself that must come back over POP3 byte for byte.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { SmtpAuthError, SmtpCapabilityError, SmtpClient, SmtpReplyError, SmtpTimeoutError } from '@sysmail/smtp-client';
import { cell, type MatrixMode } from './support/matrix-cells.js';
import {
  FAILING_LOGIN_ADDRESS,
  PASSWORD_USERS,
  freshLoopbackAddress,
  TranscriptRecorder,
  fetchDelivered,
  newToken,
  realUser,
  requireRealServers,
  TIMEOUTS,
  simpleMessage,
  smtpOptions,
} from './support/harness.js';

const servers = requireRealServers();
const clients: SmtpClient[] = [];

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

async function connect(...args: Parameters<typeof smtpOptions>): Promise<SmtpClient> {
  return connectWith(smtpOptions(...args));
}

async function connectWith(options: ReturnType<typeof smtpOptions>): Promise<SmtpClient> {
  const client = await SmtpClient.connect(options);
  clients.push(client);
  return client;
}

const MODES: { mode: MatrixMode; listener: keyof typeof servers.smtp; security: 'starttls' | 'tls' | 'none' }[] = [
  { mode: 'STARTTLS', listener: 'submission', security: 'starttls' },
  { mode: 'Implicit TLS', listener: 'smtps', security: 'tls' },
  { mode: 'Plaintext', listener: 'plainAuth', security: 'none' },
];
const MECHANISMS = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'DIGEST-MD5'] as const;

for (const { mode, listener, security } of MODES) {
  describe(`${mode} ${security}`, () => {
    MECHANISMS.forEach((mechanism, index) => {
    test.for(PASSWORD_USERS)(`${cell(`${mode} + ${mechanism}`, 'SMTP')} user %s: AUTH, send to self, retrieve the same bytes`, async (name, { onTestFailed }) => {
      const user = realUser(servers, name);
      const recorder = new TranscriptRecorder(onTestFailed, `SMTP ${mode} ${mechanism} ${name}`);
      const options = smtpOptions(servers, servers.smtp[listener], security, recorder);
      // PLAIN and LOGIN put the password on the wire readably: the plaintext listener needs the explicit opt-in.
      const client = await connectWith({
        ...options,
        allowPlaintextAuth: security === 'none' && (mechanism === 'PLAIN' || mechanism === 'LOGIN'),
        // Each mechanism authenticates from its own loopback address: a failure of one must not slow the others down by Dovecot's per-IP penalty.
        localAddress: `127.0.2.${index + 1}`,
      });
      expect(client.secure).toBe(security !== 'none');
      const auth = await client.authenticate({ username: user.username, password: user.password, mechanism });
      expect(auth.mechanism).toBe(mechanism);
      expect(auth.reply.code).toBe(235);
      expect(recorder.text()).not.toContain(user.password);

      const token = newToken();
      const message = simpleMessage(user.address, user.address, token, `Sent over ${mode} after AUTH ${mechanism}.\r\nPassword user: ${name}.\r\n`);
      const result = await client.send({ from: user.address, to: [user.address] }, message);
      expect(result.accepted).toEqual([user.address]);
      expect(result.rejected).toEqual([]);
      await client.quit();

      const delivered = await fetchDelivered(servers, user, token);
      // Postfix and Dovecot prepend trace headers; everything the client sent follows them unchanged.
      expect(Buffer.from(delivered).subarray(delivered.length - message.length)).toEqual(Buffer.from(message));
      expect(new TextDecoder().decode(delivered)).toMatch(mode === 'Plaintext' ? /with ESMTPA / : /with ESMTPSA /);
    });
    });
  });
}

describe('mechanism chosen by the client', () => {
  test.for(PASSWORD_USERS)(`${cell('Auto-selected mechanism (no mechanism given)', 'SMTP')} user %s over STARTTLS: the strongest offered mechanism works`, async (name, { onTestFailed }) => {
    const user = realUser(servers, name);
    const recorder = new TranscriptRecorder(onTestFailed, `SMTP auto ${name}`);
    const client = await connectWith({ ...smtpOptions(servers, servers.smtp.submission, 'starttls', recorder), localAddress: `127.0.2.${10 + PASSWORD_USERS.indexOf(name)}` });
    const auth = await client.authenticate({ username: user.username, password: user.password });
    expect(servers.smtp.submission.auth).toContain(auth.mechanism);
    await client.quit();
  });
});

describe('refusals', () => {
  test.for(['PLAIN', 'LOGIN'])(`${cell('Plaintext password refused without allowPlaintextAuth', 'SMTP')} %s on the plaintext listener sends nothing`, async (mechanism, { onTestFailed }) => {
    const user = realUser(servers, 'ascii');
    const recorder = new TranscriptRecorder(onTestFailed, `SMTP plaintext ${mechanism}`);
    const client = await connect(servers, servers.smtp.plainAuth, 'none', recorder);
    const failure = await client.authenticate({ username: user.username, password: user.password, mechanism }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SmtpAuthError);
    expect(recorder.text()).not.toMatch(/C: AUTH/);
    // Without a forced mechanism the client picks one that keeps the password off the wire.
    const auth = await client.authenticate({ username: user.username, password: user.password });
    expect(auth.mechanism).toMatch(/^(CRAM-MD5|DIGEST-MD5)$/);
    await client.quit();
  });

  test(`${cell('Wrong password: typed auth error', 'SMTP')} Postfix's 535 becomes SmtpAuthError, the session stays usable`, async ({ onTestFailed }) => {
    const user = realUser(servers, 'latin1');
    const recorder = new TranscriptRecorder(onTestFailed, 'SMTP wrong password');
    const client = await connectWith({ ...smtpOptions(servers, servers.smtp.smtps, 'tls', recorder), localAddress: FAILING_LOGIN_ADDRESS.smtp });
    const failure = await client.authenticate({ username: user.username, password: 'passwörd-wrong', mechanism: 'PLAIN' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SmtpAuthError);
    const error = failure as SmtpAuthError;
    expect(error.phase).toBe('auth');
    expect(error.transient).toBe(false);
    expect(error.reply?.code).toBe(535);
    expect(error.reply?.enhancedCode).toBe('5.7.8');
    expect(error.message).not.toContain('passwörd-wrong');
    expect(recorder.text()).not.toContain('passwörd-wrong');
    // Postfix answers the next command normally: a refused AUTH does not end the session.
    const refused = await client.send({ from: user.address, to: [user.address] }, simpleMessage(user.address, user.address, newToken())).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SmtpReplyError);
    expect((refused as SmtpReplyError).rejectedRecipients[0]?.reply.code).toBe(554);
    await client.quit();
  });

  test(`${cell('AUTH only after TLS (submission)', 'SMTP')} submission in plaintext offers no AUTH and refuses MAIL with 530`, async ({ onTestFailed }) => {
    const user = realUser(servers, 'ascii');
    const recorder = new TranscriptRecorder(onTestFailed, 'SMTP submission plaintext');
    const client = await connect(servers, servers.smtp.submission, 'none', recorder);
    expect(client.capabilities.starttls).toBe(true);
    expect(client.capabilities.authMechanisms).toEqual([]);
    await expect(client.authenticate({ username: user.username, password: user.password })).rejects.toBeInstanceOf(SmtpCapabilityError);
    const refused = await client.send({ from: user.address, to: [user.address] }, simpleMessage(user.address, user.address, newToken())).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SmtpReplyError);
    expect((refused as SmtpReplyError).phase).toBe('mail');
    expect((refused as SmtpReplyError).reply.code).toBe(530);
    await client.quit();
  });

  test(`${cell('Login held back by the server penalty: typed timeout', 'SMTP')} after a failure, Dovecot delays the next AUTH from that address (Postfix passes it on); a short deadline ends it with SmtpTimeoutError`, async ({ onTestFailed }) => {
    const user = realUser(servers, 'ascii');
    const recorder = new TranscriptRecorder(onTestFailed, 'SMTP penalty');
    const options = { ...smtpOptions(servers, servers.smtp.smtps, 'tls', recorder), localAddress: freshLoopbackAddress() };
    const first = await connectWith(options);
    await expect(first.authenticate({ username: user.username, password: newToken(), mechanism: 'PLAIN' })).rejects.toBeInstanceOf(SmtpAuthError);
    await first.quit();
    const second = await connectWith({ ...options, timeouts: { ...TIMEOUTS, command: 1_000 } });
    const failure = await second.authenticate({ username: user.username, password: user.password, mechanism: 'PLAIN' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SmtpTimeoutError);
    expect(failure).toMatchObject({ phase: 'auth', transient: true });
  });
});
