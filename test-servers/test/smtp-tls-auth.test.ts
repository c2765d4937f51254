import { createClientMechanism, supportedMechanisms, type SaslCredentials } from '@sysmail/sasl';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSmtpServer, type FakeSmtpServer, type FakeSmtpServerOptions } from '../src/index.js';
import { destroyRawClients, RawSmtp } from './smtp-raw-client.js';

let servers: FakeSmtpServer[] = [];
afterEach(async () => {
  destroyRawClients();
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function start(options: FakeSmtpServerOptions = {}): Promise<FakeSmtpServer> {
  const server = await startFakeSmtpServer(options);
  servers.push(server);
  return server;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const PASSWORD = 'pässwörd';
const users = { user: PASSWORD };
const verifyToken = (username: string, token: string): boolean | { error: object } =>
  username === 'user' && token === 'good-token' ? true : { error: { status: '401', schemes: 'Bearer', scope: 'mail' } };

/** Runs one AUTH exchange with the sasl package's client half; returns the final reply. */
async function authenticate(client: RawSmtp, name: string, credentials: SaslCredentials, initialResponse = true): Promise<string> {
  const socket = client.socket as TLSSocket;
  const channelBinding =
    name.endsWith('-PLUS')
      ? { type: 'tls-exporter' as const, data: new Uint8Array(socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0))) }
      : undefined;
  const mechanism = createClientMechanism(name, credentials, { service: 'smtp', host: 'fake-smtp.test', port: 465, ...(channelBinding ? { channelBinding } : {}) });
  const initial = initialResponse ? mechanism.initialResponse() : null;
  let reply = await client.command(initial === null ? `AUTH ${name}` : `AUTH ${name} ${initial.length === 0 ? '=' : b64(initial)}`);
  while (reply.startsWith('334 ')) reply = await client.command(b64(mechanism.respond(new Uint8Array(Buffer.from(reply.slice(4), 'base64')))));
  return reply;
}

function credentialsFor(name: string, right: boolean): SaslCredentials {
  if (name === 'XOAUTH2' || name === 'OAUTHBEARER') return { username: 'user', accessToken: right ? 'good-token' : 'bad-token' };
  if (name === 'EXTERNAL') return { username: 'user', password: 'unused', authzid: right ? 'user' : 'someone-else' };
  return { username: 'user', password: right ? PASSWORD : 'wrong' };
}

async function tlsSession(server: FakeSmtpServer): Promise<RawSmtp> {
  const client = await RawSmtp.connect(server.port, { implicitTls: true });
  expect(await client.reply()).toMatch(/^220 /);
  expect(await client.command('EHLO client.test')).toMatch(/^250 /m);
  return client;
}

describe('fake SMTP server: STARTTLS', () => {
  it('upgrades with the test CA, forgets the session and requires a new EHLO', async () => {
    const server = await start({ starttls: true, auth: { mechanisms: ['PLAIN'], users, advertiseBeforeTls: false } });
    const client = await RawSmtp.connect(server.port);
    await client.reply();
    const before = await client.command('EHLO c');
    expect(before).toMatch(/^250[ -]STARTTLS$/m);
    expect(before).not.toContain('AUTH');
    expect(await client.command('AUTH PLAIN')).toBe('538 5.7.11 Encryption required for requested authentication mechanism');
    expect(await client.command('STARTTLS')).toBe('220 2.0.0 Ready to start TLS');
    await client.startTls();
    expect(await client.command('MAIL FROM:<a@example.com>')).toBe('503 5.5.1 Send EHLO/HELO first');
    expect(server.sessions[0]?.secure).toBe(true);
    expect(server.sessions[0]?.ehloName).toBeUndefined();
    const after = await client.command('EHLO c');
    expect(after).not.toContain('STARTTLS');
    expect(after).toContain('AUTH PLAIN');
    expect(await client.command('STARTTLS')).toBe('503 5.5.1 TLS already active');
    expect(await authenticate(client, 'PLAIN', credentialsFor('PLAIN', true))).toBe('235 2.7.0 Authentication successful');
  });

  it('discards plaintext pipelined after STARTTLS (not vulnerable to CVE-2011-0411)', async () => {
    const server = await start({ starttls: true });
    const client = await RawSmtp.connect(server.port);
    await client.reply();
    await client.command('EHLO c');
    client.write('STARTTLS\r\nMAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.com>\r\n');
    expect(await client.reply()).toBe('220 2.0.0 Ready to start TLS');
    await client.startTls();
    await client.command('EHLO c');
    expect(await client.command('MAIL FROM:<a@example.com>')).toBe('250 2.1.0 Ok');
    expect(server.sessions[0]?.commands.join('\n')).not.toContain('evil');
  });

  it('sends the injected plaintext right after its 220, before the handshake', async () => {
    const server = await start({ starttls: true, injectAfterStarttls: '250-PIPELINING injected\r\n' });
    const client = await RawSmtp.connect(server.port);
    await client.reply();
    await client.command('EHLO c');
    client.write('STARTTLS\r\n');
    expect(await client.reply()).toBe('220 2.0.0 Ready to start TLS');
    await client.waitForBytes(25);
    expect(client.buffered.toString()).toBe('250-PIPELINING injected\r\n');
  });

  it('answers STARTTLS with starttlsReply and stays in plaintext', async () => {
    const server = await start({ starttls: true, starttlsReply: '454 4.7.0 TLS not available' });
    const client = await RawSmtp.connect(server.port);
    await client.reply();
    expect(await client.command('EHLO c')).toContain('STARTTLS');
    expect(await client.command('STARTTLS')).toBe('454 4.7.0 TLS not available');
    expect(await client.command('NOOP')).toBe('250 2.0.0 Ok');
    expect(server.sessions[0]?.secure).toBe(false);
  });

  it('refuses STARTTLS when not offered', async () => {
    const server = await start();
    const client = await RawSmtp.connect(server.port);
    await client.reply();
    expect(await client.command('STARTTLS')).toMatch(/^502 5\.5\.1/);
  });

  it('with requireTls refuses MAIL and AUTH before TLS with 530 5.7.0', async () => {
    const server = await start({ starttls: true, requireTls: true, auth: { mechanisms: ['PLAIN'], users } });
    const client = await RawSmtp.connect(server.port);
    await client.reply();
    await client.command('EHLO c');
    expect(await client.command('MAIL FROM:<a@example.com>')).toBe('530 5.7.0 Must issue a STARTTLS command first');
    expect(await client.command('AUTH PLAIN')).toBe('530 5.7.0 Must issue a STARTTLS command first');
    await client.command('STARTTLS');
    await client.startTls();
    await client.command('EHLO c');
    expect(await client.command('MAIL FROM:<a@example.com>')).toBe('250 2.1.0 Ok');
  });

  it('speaks implicit TLS from the first byte', async () => {
    const server = await start({ implicitTls: true, starttls: true });
    const client = await RawSmtp.connect(server.port, { implicitTls: true });
    expect(await client.reply()).toMatch(/^220 fake-smtp\.test/);
    expect(await client.command('EHLO c')).not.toContain('STARTTLS');
    expect(server.sessions[0]?.secure).toBe(true);
  });
});

describe('fake SMTP server: AUTH', () => {
  const options: FakeSmtpServerOptions = {
    implicitTls: true,
    auth: { mechanisms: [...supportedMechanisms], users, verifyToken, externalIdentity: 'user' },
  };

  for (const name of supportedMechanisms) {
    it(`authenticates with ${name}`, async () => {
      const server = await start(options);
      const client = await tlsSession(server);
      expect(await authenticate(client, name, credentialsFor(name, true))).toBe('235 2.7.0 Authentication successful');
      expect(server.sessions[0]?.authenticatedAs).toBe(name === 'ANONYMOUS' ? 'anonymous' : 'user');
      expect(server.sessions[0]?.mechanism).toBe(name);
      expect(await client.command('AUTH PLAIN')).toBe('503 5.5.1 Already authenticated');
    });

    if (name !== 'ANONYMOUS') {
      it(`refuses wrong credentials with ${name} with 535 5.7.8`, async () => {
        const server = await start(options);
        const client = await tlsSession(server);
        expect(await authenticate(client, name, credentialsFor(name, false))).toBe('535 5.7.8 Authentication credentials invalid');
        expect(server.sessions[0]?.authenticatedAs).toBeUndefined();
      });
    }
  }

  it('refuses plain SCRAM with gs2 flag y when it offers SCRAM-PLUS (a downgrade)', async () => {
    const server = await start({ implicitTls: true, auth: { mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS'], users } });
    const client = await tlsSession(server);
    const socket = client.socket as TLSSocket;
    const data = new Uint8Array(socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)));
    const mechanism = createClientMechanism('SCRAM-SHA-256', credentialsFor('SCRAM-SHA-256', true), { service: 'smtp', host: 'x', channelBinding: { type: 'tls-exporter', data } });
    expect(await client.command(`AUTH SCRAM-SHA-256 ${b64(mechanism.initialResponse() ?? new Uint8Array(0))}`)).toMatch(/^535 5\.7\.8/);
  });

  it('sends the XOAUTH2 JSON error as a challenge, then 535 after the empty reply', async () => {
    const server = await start({ auth: { mechanisms: ['XOAUTH2'], verifyToken } });
    const client = await RawSmtp.connect(server.port);
    await client.reply();
    await client.command('EHLO c');
    const message = Buffer.from('user=user\x01auth=Bearer bad-token\x01\x01').toString('base64');
    const challenge = await client.command(`AUTH XOAUTH2 ${message}`);
    expect(challenge).toMatch(/^334 /);
    expect(JSON.parse(Buffer.from(challenge.slice(4), 'base64').toString())).toEqual({ status: '401', schemes: 'Bearer', scope: 'mail' });
    expect(await client.command('')).toBe('535 5.7.8 Authentication credentials invalid');
  });

  it('sends an empty 334 without an initial response, and accepts "=" for an empty one', async () => {
    const server = await start({ auth: { mechanisms: ['PLAIN', 'ANONYMOUS'], users } });
    const client = await RawSmtp.connect(server.port);
    await client.reply();
    await client.command('EHLO c');
    expect(await authenticate(client, 'PLAIN', credentialsFor('PLAIN', true), false)).toBe('235 2.7.0 Authentication successful');
    const other = await RawSmtp.connect(server.port);
    await other.reply();
    await other.command('EHLO c');
    expect(await other.command('AUTH ANONYMOUS =')).toBe('235 2.7.0 Authentication successful');
  });

  it('cancels on "*" with 501, refuses bad base64, unknown mechanisms and AUTH before EHLO', async () => {
    const server = await start({ auth: { mechanisms: ['PLAIN', 'LOGIN'], users } });
    const client = await RawSmtp.connect(server.port);
    await client.reply();
    expect(await client.command('AUTH PLAIN')).toBe('503 5.5.1 Send EHLO first');
    await client.command('EHLO c');
    expect(await client.command('AUTH CRAM-MD5')).toBe('504 5.5.4 Unrecognized authentication type');
    expect(await client.command('AUTH PLAIN *')).toBe('501 5.7.0 Authentication cancelled');
    expect(await client.command('AUTH PLAIN !!!')).toBe('501 5.5.2 Cannot Base64-decode client response');
    expect(await client.command('AUTH LOGIN')).toMatch(/^334 /);
    expect(await client.command('*')).toBe('501 5.7.0 Authentication cancelled');
    expect(await client.command('AUTH')).toMatch(/^501 5\.5\.4/);
    await client.command('MAIL FROM:<a@example.com>');
    expect(await client.command('AUTH PLAIN')).toBe('503 5.5.1 AUTH not permitted during a mail transaction');
  });

  it('answers AUTH with 503 when AUTH is not configured', async () => {
    const server = await start();
    const client = await RawSmtp.connect(server.port);
    await client.reply();
    await client.command('EHLO c');
    expect(await client.command('AUTH PLAIN')).toBe('503 5.5.1 Authentication not enabled');
  });

  it('requires AUTH before MAIL when auth.required is set', async () => {
    const server = await start({ auth: { mechanisms: ['PLAIN'], users, required: true } });
    const client = await RawSmtp.connect(server.port);
    await client.reply();
    await client.command('EHLO c');
    expect(await client.command('MAIL FROM:<a@example.com>')).toBe('530 5.7.0 Authentication required');
    expect(await authenticate(client, 'PLAIN', credentialsFor('PLAIN', true))).toMatch(/^235/);
    expect(await client.command('MAIL FROM:<a@example.com> AUTH=<>')).toBe('250 2.1.0 Ok');
  });

  it('refuses each RCPT instead of MAIL without AUTH when auth.refuseAt is rcpt, as Postfix does', async () => {
    const server = await start({ auth: { mechanisms: ['PLAIN'], users, required: true, refuseAt: 'rcpt' } });
    const client = await RawSmtp.connect(server.port);
    await client.reply();
    await client.command('EHLO c');
    expect(await client.command('MAIL FROM:<a@example.com>')).toBe('250 2.1.0 Ok');
    expect(await client.command('RCPT TO:<b@example.com>')).toBe('554 5.7.1 <b@example.com>: Recipient address rejected: Access denied');
    expect(await client.command('DATA')).toBe('554 5.5.1 No valid recipients');
    expect(await client.command('RSET')).toMatch(/^250/);
    expect(await authenticate(client, 'PLAIN', credentialsFor('PLAIN', true))).toMatch(/^235/);
    expect(await client.command('MAIL FROM:<a@example.com>')).toBe('250 2.1.0 Ok');
    expect(await client.command('RCPT TO:<b@example.com>')).toBe('250 2.1.5 Ok');
  });

  it('hashes DIGEST-MD5 passwords as UTF-8 like Dovecot when auth.digestMd5Utf8Passwords is set', async () => {
    const server = await start({ implicitTls: true, auth: { mechanisms: ['DIGEST-MD5', 'CRAM-MD5'], users, digestMd5Utf8Passwords: true } });
    // The sasl client follows RFC 2831 and hashes the Latin-1-representable PASSWORD as ISO-8859-1: refused.
    expect(await authenticate(await tlsSession(server), 'DIGEST-MD5', credentialsFor('DIGEST-MD5', true))).toMatch(/^535 /);
    // Spelled as its UTF-8 bytes, the same password is hashed the way Dovecot hashes it: accepted.
    const utf8Bytes = Buffer.from(PASSWORD, 'utf8').toString('latin1');
    expect(await authenticate(await tlsSession(server), 'DIGEST-MD5', { username: 'user', password: utf8Bytes })).toMatch(/^235 /);
    expect(await authenticate(await tlsSession(server), 'CRAM-MD5', credentialsFor('CRAM-MD5', true))).toMatch(/^235 /);
  });

  it('redacts AUTH payloads in the recorded commands and the transcript', async () => {
    const transcript: string[] = [];
    const server = await start({ auth: { mechanisms: ['PLAIN', 'LOGIN'], users }, onTranscript: (entry) => transcript.push(entry.text) });
    const client = await RawSmtp.connect(server.port);
    await client.reply();
    await client.command('EHLO c');
    expect(await authenticate(client, 'LOGIN', credentialsFor('LOGIN', true))).toMatch(/^235/);
    const secret = Buffer.from(PASSWORD).toString('base64');
    expect(server.sessions[0]?.commands).toEqual(['EHLO c', 'AUTH LOGIN', '<redacted>', '<redacted>']);
    expect(transcript.join('\n')).not.toContain(secret);
    expect(transcript.filter((line) => line === '<redacted>')).toHaveLength(2);
  });
});
