/**
 * TLS against the real servers: the run's CA is accepted; the system's default
 * trust, a wrong server name, a missing STARTTLS and TLS spoken to a plaintext
 * port all end in the clients' typed errors.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { Pop3Client, Pop3ConnectionError, type Pop3ConnectOptions } from '@sysmail/pop3-client';
import { SmtpCapabilityError, SmtpClient, SmtpConnectionError, SmtpTlsError, type SmtpClientOptions } from '@sysmail/smtp-client';
import { cell } from './support/matrix-cells.js';
import { TranscriptRecorder, popOptions, requireRealServers, smtpOptions } from './support/harness.js';

const servers = requireRealServers();
const smtpClients: SmtpClient[] = [];
const popClients: Pop3Client[] = [];

afterEach(async () => {
  for (const client of smtpClients.splice(0)) client.close();
  await Promise.all(popClients.splice(0).map((client) => client.close()));
});

async function smtp(options: SmtpClientOptions): Promise<SmtpClient> {
  const client = await SmtpClient.connect(options);
  smtpClients.push(client);
  return client;
}

async function pop(options: Pop3ConnectOptions): Promise<Pop3Client> {
  const client = await Pop3Client.connect(options);
  popClients.push(client);
  return client;
}

/** Keeps Node's default CA list: the run's throwaway CA is in no system store. */
const SYSTEM_TRUST = { servername: 'localhost' };
const WRONG_NAME = (ca: string) => ({ ca, servername: 'mail.example.org' });

describe('SMTP', () => {
  test.for([
    ['submission', 'starttls'],
    ['smtps', 'tls'],
  ] as const)(`${cell('Certificate: run CA accepted', 'SMTP')} %s (%s) verifies against the run's CA`, async ([listener, security], { onTestFailed }) => {
    const recorder = new TranscriptRecorder(onTestFailed, `SMTP ${listener}`);
    const client = await smtp(smtpOptions(servers, servers.smtp[listener], security, recorder));
    expect(client.secure).toBe(true);
    expect(client.tlsDetails?.authorized).toBe(true);
    expect(client.tlsDetails?.protocol).toMatch(/^TLSv1\.[23]$/);
    if (security === 'starttls') {
      // RFC 3207 §4.2: the list after TLS is fresh, and Postfix now offers AUTH.
      expect(client.capabilities.starttls).toBe(false);
      expect(client.capabilities.authMechanisms).toEqual(['PLAIN', 'LOGIN', 'CRAM-MD5', 'DIGEST-MD5']);
    }
    await client.quit();
  });

  test.for([
    ['submission', 'starttls', 'starttls'],
    ['smtps', 'tls', 'connect'],
  ] as const)(`${cell('Certificate: system default trust refused', 'SMTP')} %s (%s) fails with SmtpTlsError in phase %s`, async ([listener, security, phase], { onTestFailed }) => {
    const recorder = new TranscriptRecorder(onTestFailed, `SMTP ${listener} system trust`);
    const failure = await smtp({ ...smtpOptions(servers, servers.smtp[listener], security, recorder), tls: SYSTEM_TRUST }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SmtpTlsError);
    expect((failure as SmtpTlsError).phase).toBe(phase);
    expect((failure as SmtpTlsError).transient).toBe(false);
  });

  test.for([
    ['submission', 'starttls'],
    ['smtps', 'tls'],
  ] as const)(`${cell('Certificate: wrong server name refused', 'SMTP')} %s (%s) refuses a certificate for another name`, async ([listener, security], { onTestFailed }) => {
    const recorder = new TranscriptRecorder(onTestFailed, `SMTP ${listener} wrong name`);
    const failure = await smtp({ ...smtpOptions(servers, servers.smtp[listener], security, recorder), tls: WRONG_NAME(servers.tls.ca) }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SmtpTlsError);
  });

  test(`${cell('STARTTLS required, listener without it: typed error', 'SMTP')} security starttls on the plaintext-only listener never continues in plaintext`, async ({ onTestFailed }) => {
    const recorder = new TranscriptRecorder(onTestFailed, 'SMTP starttls on plainAuth');
    const failure = await smtp(smtpOptions(servers, servers.smtp.plainAuth, 'starttls', recorder)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SmtpCapabilityError);
    expect((failure as SmtpCapabilityError).phase).toBe('starttls');
    expect(recorder.text()).not.toMatch(/C: (AUTH|MAIL)/);
  });

  test(`${cell('TLS required, plaintext listener: typed error', 'SMTP')} security tls on a plaintext port fails the handshake`, async ({ onTestFailed }) => {
    const recorder = new TranscriptRecorder(onTestFailed, 'SMTP tls on plainAuth');
    const failure = await smtp(smtpOptions(servers, servers.smtp.plainAuth, 'tls', recorder)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SmtpConnectionError);
    expect((failure as SmtpConnectionError).phase).toBe('connect');
  });
});

describe('POP3', () => {
  test.for([
    ['plain', 'starttls'],
    ['pop3s', 'tls'],
  ] as const)(`${cell('Certificate: run CA accepted', 'POP3')} %s (%s) verifies against the run's CA`, async ([listener, security], { onTestFailed }) => {
    const recorder = new TranscriptRecorder(onTestFailed, `POP3 ${listener}`);
    const client = await pop(popOptions(servers, servers.pop3[listener], security, recorder));
    expect(client.secure).toBe(true);
    expect(client.tlsDetails?.authorized).toBe(true);
    const capabilities = await client.capabilities();
    // RFC 2595: after STLS the server no longer offers it.
    expect(capabilities.stls).toBe(false);
    expect(capabilities.sasl).toEqual(['PLAIN', 'LOGIN', 'CRAM-MD5', 'DIGEST-MD5']);
    await client.quit();
  });

  test.for([
    ['plain', 'starttls', 'stls'],
    ['pop3s', 'tls', 'connect'],
  ] as const)(`${cell('Certificate: system default trust refused', 'POP3')} %s (%s) fails with a TLS connection error in phase %s`, async ([listener, security, phase], { onTestFailed }) => {
    const recorder = new TranscriptRecorder(onTestFailed, `POP3 ${listener} system trust`);
    const failure = await pop({ ...popOptions(servers, servers.pop3[listener], security, recorder), tls: SYSTEM_TRUST }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Pop3ConnectionError);
    expect((failure as Pop3ConnectionError).kind).toBe('tls');
    expect((failure as Pop3ConnectionError).phase).toBe(phase);
  });

  test.for([
    ['plain', 'starttls'],
    ['pop3s', 'tls'],
  ] as const)(`${cell('Certificate: wrong server name refused', 'POP3')} %s (%s) refuses a certificate for another name`, async ([listener, security], { onTestFailed }) => {
    const recorder = new TranscriptRecorder(onTestFailed, `POP3 ${listener} wrong name`);
    const failure = await pop({ ...popOptions(servers, servers.pop3[listener], security, recorder), tls: WRONG_NAME(servers.tls.ca) }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Pop3ConnectionError);
    expect((failure as Pop3ConnectionError).kind).toBe('tls');
  });

  test(`${cell('TLS required, plaintext listener: typed error', 'POP3')} security tls on the plaintext port fails the handshake`, async ({ onTestFailed }) => {
    const recorder = new TranscriptRecorder(onTestFailed, 'POP3 tls on plain');
    const failure = await pop(popOptions(servers, servers.pop3.plain, 'tls', recorder)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Pop3ConnectionError);
    expect((failure as Pop3ConnectionError).phase).toBe('connect');
  });
});
