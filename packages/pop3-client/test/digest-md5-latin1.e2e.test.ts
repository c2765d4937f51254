import { describe, expect, it } from 'vitest';
import { Pop3AuthError } from '@sysmail/pop3-client';
import { failure, text, useFakePop3 } from './helpers.js';

// Dovecot hashes DIGEST-MD5 passwords as UTF-8 bytes; RFC 2831 (followed by @sysmail/sasl)
// hashes a Latin-1-representable one as ISO-8859-1. The fake server's
// digestMd5Utf8Passwords reproduces Dovecot (seen in the interop suite). Automatic choice
// prefers CRAM-MD5 for such credentials (@sysmail/sasl's selectMechanism); a DIGEST-MD5
// refused with -ERR [AUTH] is retried once in the UTF-8 form.
const users = { latin1: 'pässwörd', euro: '€uro-pass', ascii: 'ascii-Secret-42' };
const pop = useFakePop3();

function dovecotLike(saslMechanisms: string[]) {
  return pop.start({ implicitTls: true, users, saslMechanisms, digestMd5Utf8Passwords: true });
}

describe('automatic SASL choice with a Dovecot-like DIGEST-MD5', () => {
  it('a Latin-1 password gets CRAM-MD5, which every server hashes as UTF-8, and logs in', async () => {
    const server = await dovecotLike(['PLAIN', 'DIGEST-MD5', 'CRAM-MD5']);
    const { client, transcript } = await pop.connect(server, { security: 'tls' });
    await client.login({ username: 'latin1', password: users.latin1 });
    expect(client.authenticated).toBe(true);
    expect(text(transcript)).toMatch(/client: AUTH CRAM-MD5/);
  });

  it.each(['euro', 'ascii'] as const)('a %s password keeps DIGEST-MD5, which both readings hash alike', async (user) => {
    const server = await dovecotLike(['DIGEST-MD5', 'CRAM-MD5']);
    const { client, transcript } = await pop.connect(server, { security: 'tls' });
    await client.login({ username: user, password: users[user], method: 'sasl' });
    expect(text(transcript)).toMatch(/client: AUTH DIGEST-MD5/);
  });

  it('without CRAM-MD5 on offer DIGEST-MD5 is chosen; refused in the RFC 2831 form, it logs in with one retry in the UTF-8 form', async () => {
    const server = await dovecotLike(['PLAIN', 'DIGEST-MD5']);
    const { client, transcript } = await pop.connect(server, { security: 'tls' });
    await client.login({ username: 'latin1', password: users.latin1, method: 'sasl' });
    expect(client.authenticated).toBe(true);
    expect(text(transcript).match(/client: AUTH DIGEST-MD5/g)).toHaveLength(2);
  });
});

describe('an explicit DIGEST-MD5 with Latin-1 credentials', () => {
  it('against a Dovecot-like server: refused once (-ERR [AUTH]), then logs in with the UTF-8 form', async () => {
    const server = await dovecotLike(['DIGEST-MD5', 'CRAM-MD5']);
    const { client } = await pop.connect(server, { security: 'tls' });
    await client.login({ username: 'latin1', password: users.latin1, method: 'sasl', mechanism: 'DIGEST-MD5' });
    expect(client.authenticated).toBe(true);
  });

  it('against an RFC 2831 server: the first exchange logs in, no retry', async () => {
    const server = await pop.start({ implicitTls: true, users, saslMechanisms: ['DIGEST-MD5'] });
    const { client, transcript } = await pop.connect(server, { security: 'tls' });
    await client.login({ username: 'latin1', password: users.latin1, method: 'sasl', mechanism: 'DIGEST-MD5' });
    expect(client.authenticated).toBe(true);
    expect(text(transcript).match(/client: AUTH /g)).toHaveLength(1);
  });

  it('a wrong Latin-1 password: both forms refused, the first refusal is reported, and the session goes on', async () => {
    const server = await dovecotLike(['DIGEST-MD5']);
    const { client, transcript } = await pop.connect(server, { security: 'tls' });
    const error = await failure(client.login({ username: 'latin1', password: 'wrong-pässwörd', method: 'sasl', mechanism: 'DIGEST-MD5' }));
    expect(error).toBeInstanceOf(Pop3AuthError);
    expect(error).toMatchObject({ code: 'AUTH' });
    expect(text(transcript).match(/client: AUTH /g)).toHaveLength(2);
    await client.login({ username: 'latin1', password: users.latin1, method: 'sasl', mechanism: 'DIGEST-MD5' });
    expect(client.authenticated).toBe(true);
  });

  it.each(['euro', 'ascii'] as const)('a wrong %s password is not retried: both forms would hash it alike', async (user) => {
    const server = await dovecotLike(['DIGEST-MD5']);
    const { client, transcript } = await pop.connect(server, { security: 'tls' });
    const error = await failure(client.login({ username: user, password: `${users[user]}-wrong`, method: 'sasl', mechanism: 'DIGEST-MD5' }));
    expect(error).toBeInstanceOf(Pop3AuthError);
    expect(text(transcript).match(/client: AUTH /g)).toHaveLength(1);
  });
});
