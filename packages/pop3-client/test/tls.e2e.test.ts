import { describe, expect, it } from 'vitest';
import { tlsFixtures } from '@sysmail/test-servers';
import { Pop3ConnectionError, Pop3ResponseError } from '@sysmail/pop3-client';
import { failure, PASSWORD, useFakePop3 } from './helpers.js';

const pop = useFakePop3();

describe('STLS', () => {
  it('upgrades before anything else and asks CAPA again over TLS', async () => {
    const server = await pop.start({ stls: true });
    const { client, transcript } = await pop.connect(server, { security: 'starttls' });
    expect(client.secure).toBe(true);
    expect(client.tlsDetails).toMatchObject({ authorized: true, peerSubject: 'localhost' });
    expect(transcript.some((entry) => entry.direction === 'info' && entry.text.startsWith('TLS established'))).toBe(true);
    const capabilities = await client.capabilities();
    expect(server.sessions[0]?.secure).toBe(true);
    expect(capabilities.stls).toBe(false);
    expect(server.sessions[0]?.commands).toEqual(['CAPA', 'STLS', 'CAPA']);
  });

  it('fails, never continuing in plaintext, when STLS is not offered', async () => {
    const server = await pop.start({ stls: false });
    const error = await failure(pop.connect(server, { security: 'starttls' }));
    expect(error).toBeInstanceOf(Pop3ConnectionError);
    expect(error).toMatchObject({ phase: 'stls', kind: 'tls' });
    expect(server.sessions[0]?.commands).toEqual(['CAPA']);
  });

  it('fails when the server refuses STLS', async () => {
    const server = await pop.start({ stls: true, script: [{ command: 'STLS', reply: '-ERR [SYS/TEMP] TLS unavailable' }] });
    const error = await failure(pop.connect(server, { security: 'starttls' }));
    expect(error).toBeInstanceOf(Pop3ResponseError);
    expect(error).toMatchObject({ phase: 'stls', code: 'SYS/TEMP', transient: true });
  });

  it('closes the connection when bytes arrive between the STLS reply and the handshake', async () => {
    const server = await pop.start({ stls: true, injectAfterStls: '+OK injected\r\n' });
    const error = await failure(pop.connect(server, { security: 'starttls' }));
    expect(error).toBeInstanceOf(Pop3ConnectionError);
    expect(error).toMatchObject({ phase: 'stls' });
    // Bytes that arrived with the reply are caught before the handshake; bytes a moment later break the handshake itself.
    expect(['injection', 'tls']).toContain((error as Pop3ConnectionError).kind);
    expect(server.logins).toEqual([]);
  });

  it('rejects a certificate for another host', async () => {
    const server = await pop.start({ stls: true, certificate: tlsFixtures.otherHost });
    const error = await failure(pop.connect(server, { security: 'starttls' }));
    expect(error).toMatchObject({ kind: 'tls', phase: 'stls' });
    expect((error as Error).message).toMatch(/another name/);
    expect(server.logins).toEqual([]);
  });

  for (const [name, certificate, pattern] of [
    ['an unknown CA', tlsFixtures.unknownCa, /trusted|self-signed|issuer/i],
    ['an expired certificate', tlsFixtures.expired, /expired/i],
  ] as const) {
    it(`rejects ${name} after STLS, never logging in`, async () => {
      const server = await pop.start({ stls: true, certificate });
      const error = await failure(pop.connect(server, { security: 'starttls' }));
      expect(error).toBeInstanceOf(Pop3ConnectionError);
      expect(error).toMatchObject({ kind: 'tls', phase: 'stls', transient: false });
      expect((error as Error).message).toMatch(pattern);
      expect(server.logins).toEqual([]);
    });
  }
});

describe('implicit TLS', () => {
  it('logs in over POP3S', async () => {
    const server = await pop.start({ implicitTls: true });
    const { client } = await pop.connect(server, { security: 'tls' });
    expect(client.secure).toBe(true);
    await client.login({ username: 'alice', password: PASSWORD, method: 'user' });
    expect(server.logins).toMatchObject([{ method: 'user' }]);
  });

  for (const [name, certificate, pattern] of [
    ['an unknown CA', tlsFixtures.unknownCa, /trusted|self-signed|issuer/i],
    ['a wrong host', tlsFixtures.otherHost, /another name|altname/i],
    ['an expired certificate', tlsFixtures.expired, /expired/i],
  ] as const) {
    it(`rejects ${name}`, async () => {
      const server = await pop.start({ implicitTls: true, certificate });
      const error = await failure(pop.connect(server, { security: 'tls' }));
      expect(error).toBeInstanceOf(Pop3ConnectionError);
      expect(error).toMatchObject({ kind: 'tls', phase: 'connect' });
      expect((error as Error).message).toMatch(pattern);
    });
  }

  it('accepts any certificate only when verification is explicitly turned off', async () => {
    const server = await pop.start({ implicitTls: true, certificate: tlsFixtures.unknownCa });
    const { client } = await pop.connect(server, { security: 'tls', tls: { rejectUnauthorized: false } });
    expect(client.tlsDetails?.authorized).toBe(false);
  });
});
