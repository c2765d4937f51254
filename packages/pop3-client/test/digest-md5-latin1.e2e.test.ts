import { describe, expect, it } from 'vitest';
import { Pop3AuthError } from '@sysmail/pop3-client';
import { failure, text, useFakePop3 } from './helpers.js';

// Dovecot hashes DIGEST-MD5 passwords as UTF-8 bytes; RFC 2831 (followed by @sysmail/sasl)
// hashes a Latin-1-representable one as ISO-8859-1. The fake server's
// digestMd5Utf8Passwords reproduces Dovecot (seen in the interop suite).
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

  it('an explicitly requested DIGEST-MD5 is used as asked (and this server refuses it)', async () => {
    const server = await dovecotLike(['DIGEST-MD5', 'CRAM-MD5']);
    const { client } = await pop.connect(server, { security: 'tls' });
    const error = await failure(client.login({ username: 'latin1', password: users.latin1, method: 'sasl', mechanism: 'DIGEST-MD5' }));
    expect(error).toBeInstanceOf(Pop3AuthError);
    expect(error).toMatchObject({ code: 'AUTH' });
  });
});
