import { describe, expect, it } from 'vitest';
import { Pop3AuthError, Pop3Client, Pop3ConfigError } from '@sysmail/pop3-client';
import { failure, PASSWORD, text, useFakePop3 } from './helpers.js';

const pop = useFakePop3();

describe('USER/PASS', () => {
  it('logs in over STLS and redacts the password', async () => {
    const server = await pop.start({ stls: true });
    const { client, transcript } = await pop.connect(server, { security: 'starttls' });
    await client.login({ username: 'alice', password: PASSWORD, method: 'user' });
    expect(client.authenticated).toBe(true);
    expect(server.logins).toMatchObject([{ username: 'alice', method: 'user' }]);
    expect(text(transcript)).toContain('client: PASS <redacted>');
    expect(text(transcript)).not.toContain(PASSWORD);
  });

  it('is refused on a plaintext link before any byte, unless allowed', async () => {
    const server = await pop.start();
    const { client } = await pop.connect(server);
    const error = await failure(client.login({ username: 'alice', password: PASSWORD, method: 'user' }));
    expect(error).toBeInstanceOf(Pop3AuthError);
    expect((error as Error).message).toMatch(/in clear/);
    expect(server.sessions[0]?.commands.some((c) => /^(USER|PASS)/.test(c))).toBe(false);
    const { client: allowed } = await pop.connect(server, { allowPlaintextAuth: true });
    await allowed.login({ username: 'alice', password: PASSWORD, method: 'user' });
    expect(allowed.authenticated).toBe(true);
  });

  it('reports a wrong password with the [AUTH] response code, not transient', async () => {
    const server = await pop.start({ stls: true });
    const { client } = await pop.connect(server, { security: 'starttls' });
    const error = await failure(client.login({ username: 'alice', password: 'wrong password', method: 'user' }));
    expect(error).toBeInstanceOf(Pop3AuthError);
    expect(error).toMatchObject({ phase: 'auth', code: 'AUTH', transient: false });
    expect((error as Pop3AuthError).response).toMatch(/^-ERR/);
  });

  it('sends a non-ASCII password in PASS as UTF-8, as Dovecot accepts it', async () => {
    for (const password of ['pässwörd', '€uro-pass']) {
      const server = await pop.start({ stls: true, users: { alice: password } });
      const { client, transcript } = await pop.connect(server, { security: 'starttls' });
      await client.login({ username: 'alice', password, method: 'user' });
      expect(client.authenticated).toBe(true);
      expect(server.logins).toMatchObject([{ username: 'alice', method: 'user' }]);
      expect(text(transcript)).not.toContain(password);
    }
  });

  it('refuses a username RFC 1939 cannot carry, without sending it', async () => {
    const server = await pop.start({ stls: true });
    const { client } = await pop.connect(server, { security: 'starttls' });
    await expect(client.login({ username: 'alice\r\nDELE 1', password: PASSWORD, method: 'user' })).rejects.toThrow(/CR, LF or NUL/);
    expect(server.sessions[0]?.commands.some((c) => c.startsWith('USER'))).toBe(false);
  });
});

describe('APOP', () => {
  it('logs in with the digest of the greeting timestamp, redacted', async () => {
    const server = await pop.start();
    const { client, transcript } = await pop.connect(server);
    expect(client.apopTimestamp).toMatch(/^<.+@fake-pop3\.test>$/);
    await client.login({ username: 'alice', password: PASSWORD, method: 'apop' });
    expect(server.logins).toMatchObject([{ method: 'apop' }]);
    expect(text(transcript)).toContain('client: APOP alice <redacted>');
    expect(text(transcript)).not.toMatch(/APOP alice [0-9a-f]{32}/);
  });

  it('is refused, without falling back to USER/PASS, when the timestamp is malformed or absent', async () => {
    for (const options of [{ apopTimestamp: '<nonsense>' }, { apop: false }]) {
      const server = await pop.start(options);
      const { client } = await pop.connect(server, { allowPlaintextAuth: true });
      expect(client.apopTimestamp).toBeUndefined();
      const error = await failure(client.login({ username: 'alice', password: PASSWORD, method: 'apop' }));
      expect(error).toBeInstanceOf(Pop3AuthError);
      expect((error as Error).message).toMatch(/timestamp/);
      expect(server.sessions[0]?.commands ?? []).toEqual([]);
    }
  });
});

describe('SASL', () => {
  const mechanisms = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'DIGEST-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS'];
  for (const mechanism of mechanisms) {
    it(`logs in with ${mechanism} over TLS and redacts every payload`, async () => {
      const server = await pop.start({ implicitTls: true, saslMechanisms: mechanisms });
      const { client, transcript } = await pop.connect(server, { security: 'tls' });
      await client.login({ username: 'alice', password: PASSWORD, method: 'sasl', mechanism });
      expect(server.logins).toMatchObject([{ username: 'alice', method: 'sasl' }]);
      expect(server.sessions[0]?.commands.find((c) => c.startsWith('AUTH'))).toMatch(new RegExp(`^AUTH ${mechanism}`));
      const log = text(transcript);
      expect(log).not.toContain(PASSWORD);
      expect(log).not.toMatch(/(client: [A-Za-z0-9+/]{8,}=*$)|(server: \+ [A-Za-z0-9+/]{4,})/m);
    });
  }

  it('logs in with an OAuth token through XOAUTH2 and OAUTHBEARER', async () => {
    for (const mechanism of ['XOAUTH2', 'OAUTHBEARER']) {
      const server = await pop.start({
        implicitTls: true,
        saslMechanisms: [mechanism],
        verifyToken: (username, token) => username === 'alice' && token === 'ya29.token-value',
      });
      const { client, transcript } = await pop.connect(server, { security: 'tls' });
      await client.login({ username: 'alice', accessToken: 'ya29.token-value' });
      expect(server.logins).toMatchObject([{ method: 'sasl' }]);
      expect(text(transcript)).not.toContain('ya29.token-value');
    }
  });

  it('reports why an OAuth token was refused, from the error challenge', async () => {
    const server = await pop.start({
      implicitTls: true,
      saslMechanisms: ['XOAUTH2'],
      verifyToken: () => ({ error: { status: '401', schemes: 'Bearer', scope: 'https://mail.google.com/' } }),
    });
    const { client } = await pop.connect(server, { security: 'tls' });
    const error = await failure(client.login({ username: 'alice', accessToken: 'ya29.expired-token' }));
    expect(error).toBeInstanceOf(Pop3AuthError);
    expect((error as Error).message).toMatch(/token refused: .*"status":"401"/);
    expect((error as Error).message).not.toContain('ya29.expired-token');
  });

  it('redacts the token when the error challenge quotes it back', async () => {
    const server = await pop.start({
      implicitTls: true,
      saslMechanisms: ['XOAUTH2'],
      verifyToken: (_username, token) => ({ error: { status: '401', detail: `token ${token} has expired` } }),
    });
    const { client } = await pop.connect(server, { security: 'tls' });
    const error = await failure(client.login({ username: 'alice', accessToken: 'ya29.quoted-token' }));
    expect((error as Error).message).toContain('token <redacted> has expired');
  });

  it('refuses a clear-text mechanism on a plaintext link before sending anything', async () => {
    const server = await pop.start({ saslMechanisms: ['PLAIN'] });
    const { client } = await pop.connect(server);
    await expect(client.login({ username: 'alice', password: PASSWORD, method: 'sasl', mechanism: 'PLAIN' })).rejects.toBeInstanceOf(Pop3AuthError);
    expect(server.sessions[0]?.commands.some((c) => c.startsWith('AUTH'))).toBe(false);
  });

  it('redacts a SASL response the server echoes back, in the transcript and the error', async () => {
    const response = Buffer.from(`\0alice\0${PASSWORD}`).toString('base64');
    const server = await pop.start({ implicitTls: true, saslMechanisms: ['PLAIN'], script: [{ command: 'AUTH', reply: `-ERR cannot decode ${response}` }] });
    const { client, transcript } = await pop.connect(server, { security: 'tls' });
    const error = await failure(client.login({ username: 'alice', password: PASSWORD, method: 'sasl', mechanism: 'PLAIN' }));
    expect((error as Error).message).toContain('cannot decode <redacted>');
    expect(text(transcript)).toContain('-ERR cannot decode <redacted>');
  });

  it('cancels with * when the server sends a challenge that is not base64', async () => {
    const server = await pop.start({ implicitTls: true, saslMechanisms: ['CRAM-MD5'], script: [{ command: 'AUTH', reply: '+ not base64!!' }] });
    const { client } = await pop.connect(server, { security: 'tls' });
    const error = await failure(client.login({ username: 'alice', password: PASSWORD, method: 'sasl', mechanism: 'CRAM-MD5' }));
    expect(error).toMatchObject({ phase: 'auth' });
    expect(server.sessions[0]?.commands).toContain('*');
    expect(server.logins).toEqual([]);
  });

  it('refuses a success the mechanism could not verify (an impostor) and closes the session', async () => {
    const server = await pop.start({ implicitTls: true, saslMechanisms: ['SCRAM-SHA-256'], script: [{ command: 'AUTH', reply: '+OK welcome' }] });
    const { client } = await pop.connect(server, { security: 'tls' });
    const error = await failure(client.login({ username: 'alice', password: PASSWORD, method: 'sasl', mechanism: 'SCRAM-SHA-256' }));
    expect(error).toBeInstanceOf(Pop3AuthError);
    expect((error as Error).message).toMatch(/impostor/);
    expect(client.closed).toBe(true);
  });
});

describe('auto', () => {
  it('prefers the strongest SASL mechanism', async () => {
    const server = await pop.start({ stls: true, saslMechanisms: ['PLAIN', 'CRAM-MD5', 'SCRAM-SHA-256'] });
    const { client } = await pop.connect(server, { security: 'starttls' });
    await client.login({ username: 'alice', password: PASSWORD });
    expect(server.sessions[0]?.commands.find((c) => c.startsWith('AUTH'))).toMatch(/^AUTH SCRAM-SHA-256/);
  });

  it('falls back to APOP on a plaintext link when only PLAIN is offered', async () => {
    const server = await pop.start({ saslMechanisms: ['PLAIN'] });
    const { client } = await pop.connect(server);
    await client.login({ username: 'alice', password: PASSWORD });
    expect(server.logins).toMatchObject([{ method: 'apop' }]);
  });

  it('uses USER/PASS over TLS without SASL or APOP, and refuses it in plaintext', async () => {
    const tlsServer = await pop.start({ apop: false, stls: true });
    const { client } = await pop.connect(tlsServer, { security: 'starttls' });
    await client.login({ username: 'alice', password: PASSWORD });
    expect(tlsServer.logins).toMatchObject([{ method: 'user' }]);
    const plainServer = await pop.start({ apop: false });
    const { client: plain } = await pop.connect(plainServer);
    await expect(plain.login({ username: 'alice', password: PASSWORD })).rejects.toBeInstanceOf(Pop3AuthError);
    expect(plainServer.sessions[0]?.commands.some((c) => c.startsWith('USER'))).toBe(false);
  });

  it('works with a server that does not know CAPA', async () => {
    const server = await pop.start({ capa: false });
    const { client } = await pop.connect(server);
    expect((await client.capabilities()).raw).toEqual([]);
    await client.login({ username: 'alice', password: PASSWORD });
    expect(server.logins).toMatchObject([{ method: 'apop' }]);
  });

  it('refuses a second login and a login without a secret', async () => {
    const server = await pop.start();
    const { client } = await pop.connect(server);
    await expect(client.login({ username: 'alice' } as never)).rejects.toBeInstanceOf(Pop3ConfigError);
    await client.login({ username: 'alice', password: PASSWORD, method: 'apop' });
    await expect(client.login({ username: 'alice', password: PASSWORD, method: 'apop' })).rejects.toBeInstanceOf(Pop3ConfigError);
  });
});

describe('response codes', () => {
  it('marks [IN-USE], [LOGIN-DELAY] and [SYS/TEMP] transient, [SYS/PERM] not', async () => {
    const locked = await pop.start({ lockedUsers: ['alice'] });
    const { client } = await pop.connect(locked);
    expect(await failure(client.login({ username: 'alice', password: PASSWORD, method: 'apop' }))).toMatchObject({
      code: 'IN-USE',
      transient: true,
    });
    for (const [reply, code, transient] of [
      ['-ERR [LOGIN-DELAY] wait 15 minutes', 'LOGIN-DELAY', true],
      ['-ERR [SYS/TEMP] disk busy', 'SYS/TEMP', true],
      ['-ERR [SYS/PERM] mailbox corrupt', 'SYS/PERM', false],
    ] as const) {
      const server = await pop.start({ script: [{ command: 'APOP', reply }] });
      const { client: other } = await pop.connect(server);
      const error = await failure(other.login({ username: 'alice', password: PASSWORD, method: 'apop' }));
      expect(error).toBeInstanceOf(Pop3AuthError);
      expect(error).toMatchObject({ code, transient, response: reply });
    }
  });

  it('reports [AUTH] TLS required from a server that insists on TLS', async () => {
    const server = await pop.start({ requireTls: true });
    const { client } = await pop.connect(server);
    expect(await failure(client.login({ username: 'alice', password: PASSWORD, method: 'apop' }))).toMatchObject({ code: 'AUTH', phase: 'auth' });
  });
});

describe('Pop3Client.connect', () => {
  it('refuses bad options before connecting', async () => {
    await expect(Pop3Client.connect({ host: '127.0.0.1', port: 0 })).rejects.toBeInstanceOf(Pop3ConfigError);
    await expect(Pop3Client.connect({ host: '127.0.0.1', port: 1, timeouts: -1 })).rejects.toBeInstanceOf(Pop3ConfigError);
    await expect(Pop3Client.connect({ host: '', port: 1 })).rejects.toBeInstanceOf(Pop3ConfigError);
  });
});
