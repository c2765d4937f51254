import type * as tls from 'node:tls';
import { createClientMechanism, type SaslCredentials } from '@sysmail/sasl';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakePop3Server, type FakePop3Server, type FakePop3ServerOptions, type FakePop3TranscriptEntry } from '../src/index.js';
import { RawPop3 } from './pop3-raw-client.js';

const servers: FakePop3Server[] = [];
afterEach(async () => {
  RawPop3.closeAll();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const PASSWORD = 'correct horse';

async function start(options: FakePop3ServerOptions = {}): Promise<FakePop3Server> {
  const server = await startFakePop3Server({ users: { alice: PASSWORD }, mailbox: ['Subject: x\r\n\r\ny\r\n'], ...options });
  servers.push(server);
  return server;
}

async function connect(server: FakePop3Server, options: { tls?: boolean } = {}): Promise<RawPop3> {
  const client = await RawPop3.connect(server.port, options);
  expect(await client.line()).toMatch(/^\+OK/);
  return client;
}

async function capabilities(client: RawPop3): Promise<string[]> {
  expect(await client.command('CAPA')).toMatch(/^\+OK/);
  return client.lines();
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** Runs an RFC 5034 AUTH exchange with the sasl package's client half; returns the final status line. */
async function authenticate(
  client: RawPop3,
  name: string,
  credentials: SaslCredentials,
  options: { initialResponse?: boolean } = {},
): Promise<string> {
  const socket = client.socket as tls.TLSSocket;
  const channelBinding =
    typeof socket.exportKeyingMaterial === 'function'
      ? { type: 'tls-exporter' as const, data: socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)) }
      : undefined;
  const mechanism = createClientMechanism(name, credentials, {
    service: 'pop',
    host: 'localhost',
    nonceFactory: () => 'fixednonce',
    ...(channelBinding === undefined ? {} : { channelBinding }),
  });
  const initial = options.initialResponse === false ? null : mechanism.initialResponse();
  let line = await client.command(initial === null ? `AUTH ${name}` : `AUTH ${name} ${initial.length === 0 ? '=' : b64(initial)}`);
  while (line.startsWith('+ ')) line = await client.command(b64(mechanism.respond(Buffer.from(line.slice(2), 'base64'))));
  return line;
}

describe('fake POP3 server: TLS', () => {
  it('speaks implicit TLS (POP3S) and then does not offer STLS', async () => {
    const server = await start({ implicitTls: true, stls: true });
    const client = await connect(server, { tls: true });
    expect(await capabilities(client)).not.toContain('STLS');
    expect(await client.command('STLS')).toBe('-ERR command not permitted when TLS active');
    expect(server.sessions[0]?.secure).toBe(true);
  });

  it('upgrades on STLS, then drops STLS from CAPA and refuses a second STLS', async () => {
    const server = await start({ stls: true, requireTls: true });
    const client = await connect(server);
    expect(await capabilities(client)).toContain('STLS');
    expect(server.sessions[0]?.secure).toBe(false);
    expect(await client.command('STLS')).toBe('+OK Begin TLS negotiation');
    await client.startTls();
    expect(await capabilities(client)).not.toContain('STLS');
    expect(await client.command('STLS')).toBe('-ERR command not permitted when TLS active');
    await client.command('USER alice');
    expect(await client.command(`PASS ${PASSWORD}`)).toMatch(/^\+OK/);
    expect(server.sessions[0]?.secure).toBe(true);
  });

  it('discards plaintext pipelined behind STLS instead of executing it after the handshake', async () => {
    const server = await start({ stls: true });
    const client = await connect(server);
    client.send('STLS\r\nUSER alice\r\n');
    expect(await client.line()).toBe('+OK Begin TLS negotiation');
    await client.startTls();
    expect(await client.command(`PASS ${PASSWORD}`)).toBe('-ERR send USER first');
    expect(server.sessions[0]?.discardedAfterStls).toBe('USER alice\r\n'.length);
    expect(server.sessions[0]?.commands).toEqual(['STLS', 'PASS <redacted>']);
  });

  it('injects bytes after the STLS reply when told to', async () => {
    const client = await connect(await start({ stls: true, injectAfterStls: '+OK injected\r\n' }));
    expect(await client.command('STLS')).toBe('+OK Begin TLS negotiation');
    expect(await client.line()).toBe('+OK injected');
  });

  it('refuses STLS when not offered, and after login', async () => {
    expect(await (await connect(await start())).command('STLS')).toBe('-ERR unknown command');
    const client = await connect(await start({ stls: true }));
    await client.command('USER alice');
    await client.command(`PASS ${PASSWORD}`);
    expect(await capabilities(client)).not.toContain('STLS');
    expect(await client.command('STLS')).toBe('-ERR command not valid in this state');
  });
});

describe('fake POP3 server: SASL (RFC 5034)', () => {
  const mechanisms = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'DIGEST-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-256'];

  for (const name of mechanisms) {
    it(`logs in with ${name} through @sysmail/sasl's server half`, async () => {
      const server = await start({ saslMechanisms: mechanisms });
      const client = await connect(server);
      expect(await authenticate(client, name, { username: 'alice', password: PASSWORD })).toMatch(/^\+OK/);
      expect(server.logins[0]).toMatchObject({ username: 'alice', method: 'sasl' });
      expect(await client.command('STAT')).toMatch(/^\+OK 1 /);
    });
  }

  it('hashes DIGEST-MD5 passwords as UTF-8 like Dovecot when digestMd5Utf8Passwords is set', async () => {
    const users = { alice: 'pässwörd', bob: '€uro-pass' };
    const server = await start({ users, saslMechanisms: ['DIGEST-MD5', 'CRAM-MD5'], digestMd5Utf8Passwords: true });
    // The sasl client follows RFC 2831 and hashes a Latin-1-representable password as ISO-8859-1: refused.
    expect(await authenticate(await connect(server), 'DIGEST-MD5', { username: 'alice', password: users.alice })).toMatch(/^-ERR \[AUTH\]/);
    // Spelled as its UTF-8 bytes, the same password is hashed the way Dovecot hashes it: accepted.
    const utf8Bytes = Buffer.from(users.alice, 'utf8').toString('latin1');
    expect(await authenticate(await connect(server), 'DIGEST-MD5', { username: 'alice', password: utf8Bytes })).toMatch(/^\+OK/);
    // Outside Latin-1 both ways are UTF-8; other mechanisms are untouched.
    expect(await authenticate(await connect(server), 'DIGEST-MD5', { username: 'bob', password: users.bob })).toMatch(/^\+OK/);
    expect(await authenticate(await connect(server), 'CRAM-MD5', { username: 'alice', password: users.alice })).toMatch(/^\+OK/);
    // Without the option the fake follows the RFC, as before.
    const rfc = await start({ users, saslMechanisms: ['DIGEST-MD5'] });
    expect(await authenticate(await connect(rfc), 'DIGEST-MD5', { username: 'alice', password: users.alice })).toMatch(/^\+OK/);
  });

  it('logs in with PLAIN without an initial response (empty "+ " challenge first)', async () => {
    const client = await connect(await start({ saslMechanisms: ['PLAIN'] }));
    expect(await authenticate(client, 'PLAIN', { username: 'alice', password: PASSWORD }, { initialResponse: false })).toMatch(/^\+OK/);
  });

  it('sends SCRAM server-final data in a continuation and binds SCRAM-SHA-256-PLUS to the TLS channel', async () => {
    const transcript: FakePop3TranscriptEntry[] = [];
    const server = await start({ implicitTls: true, saslMechanisms: ['SCRAM-SHA-256-PLUS'], onTranscript: (e) => transcript.push(e) });
    const client = await connect(server, { tls: true });
    expect(await capabilities(client)).toContain('SASL SCRAM-SHA-256-PLUS');
    expect(await authenticate(client, 'SCRAM-SHA-256-PLUS', { username: 'alice', password: PASSWORD })).toMatch(/^\+OK/);
    const serverFinal = transcript.filter((e) => e.direction === 'server' && e.text.startsWith('+ ')).at(-1)?.text ?? '';
    expect(Buffer.from(serverFinal.slice(2), 'base64').toString()).toMatch(/^v=/);
  });

  it('offers no -PLUS mechanism without TLS', async () => {
    const client = await connect(await start({ saslMechanisms: ['SCRAM-SHA-256-PLUS', 'PLAIN'] }));
    expect(await capabilities(client)).toContain('SASL PLAIN');
    expect(await client.command('AUTH SCRAM-SHA-256-PLUS')).toBe('-ERR unsupported authentication mechanism');
  });

  it('answers -ERR [AUTH] to bad credentials, -ERR to a cancel, a bad mechanism or bad base64', async () => {
    const server = await start({ saslMechanisms: ['PLAIN', 'CRAM-MD5'] });
    const client = await connect(server);
    expect(await authenticate(client, 'CRAM-MD5', { username: 'alice', password: 'wrong' })).toBe('-ERR [AUTH] authentication failed');
    expect(await client.command('AUTH CRAM-MD5')).toMatch(/^\+ \S+/);
    expect(await client.command('*')).toBe('-ERR authentication cancelled');
    expect(await client.command('AUTH CRAM-MD5')).toMatch(/^\+ \S+/);
    expect(await client.command('not base64!')).toBe('-ERR invalid base64 in SASL response');
    expect(await client.command('AUTH PLAIN =')).toBe('-ERR [AUTH] authentication failed');
    expect(await client.command('AUTH PLAIN !!!')).toBe('-ERR invalid base64 in initial response');
    expect(await client.command('AUTH KERBEROS_V4')).toBe('-ERR unsupported authentication mechanism');
    expect(await client.command('AUTH')).toMatch(/^-ERR/);
    expect(server.logins).toEqual([]);
  });

  it('checks XOAUTH2 tokens with verifyToken and sends a refused token its JSON error challenge', async () => {
    const error = { status: '401', schemes: 'Bearer', scope: 'https://mail.google.com/' };
    const server = await start({ saslMechanisms: ['XOAUTH2'], verifyToken: (user, token) => (user === 'alice' && token === 'good-token' ? true : { error }) });
    const client = await connect(server);
    expect(await authenticate(client, 'XOAUTH2', { username: 'alice', accessToken: 'good-token' })).toMatch(/^\+OK/);
    const other = await connect(server);
    const line = await other.command(`AUTH XOAUTH2 ${Buffer.from('user=alice\x01auth=Bearer bad\x01\x01').toString('base64')}`);
    expect(JSON.parse(Buffer.from(line.slice(2), 'base64').toString())).toEqual(error);
    expect(await other.command('')).toBe('-ERR [AUTH] authentication failed');
  });

  it('redacts AUTH payloads from commands and transcript', async () => {
    const transcript: FakePop3TranscriptEntry[] = [];
    const server = await start({ saslMechanisms: ['PLAIN', 'LOGIN'], onTranscript: (e) => transcript.push(e) });
    const client = await connect(server);
    await authenticate(client, 'LOGIN', { username: 'alice', password: PASSWORD }, { initialResponse: false });
    const again = await connect(server);
    await authenticate(again, 'PLAIN', { username: 'alice', password: PASSWORD });
    expect(server.sessions.map((s) => s.commands)).toEqual([['AUTH LOGIN'], ['AUTH PLAIN <redacted>']]);
    const clientLines = transcript.filter((e) => e.direction === 'client').map((e) => e.text);
    expect(clientLines).toEqual(['AUTH LOGIN', '<redacted>', '<redacted>', 'AUTH PLAIN <redacted>']);
    const everything = JSON.stringify(transcript);
    expect(everything).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    expect(everything).not.toContain(PASSWORD);
  });
});
