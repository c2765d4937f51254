import { describe, expect, test } from 'vitest';
import { SmtpAuthError } from '../src/index.js';
import { connectTo, failure, fakeServer } from './helpers.js';

// Dovecot, the usual SASL backend of Postfix, hashes DIGEST-MD5 passwords as UTF-8 bytes;
// RFC 2831 (followed by @sysmail/sasl) hashes a Latin-1-representable one as ISO-8859-1.
// The fake server's digestMd5Utf8Passwords reproduces Dovecot (seen in the interop suite).
const users = { latin1: 'pässwörd', euro: '€uro-pass', ascii: 'ascii-Secret-42' };

async function dovecotLike(mechanisms: string[]) {
  // DIGEST-MD5's digest-uri names the host connected to, which the server checks against its own name.
  return fakeServer({ hostname: '127.0.0.1', implicitTls: true, auth: { mechanisms, users, digestMd5Utf8Passwords: true } });
}

describe('automatic mechanism choice with a Dovecot-like DIGEST-MD5', () => {
  test('a Latin-1 password gets CRAM-MD5, which every server hashes as UTF-8, and logs in', async () => {
    const server = await dovecotLike(['DIGEST-MD5', 'CRAM-MD5']);
    const client = await connectTo(server, { security: 'tls' });
    const result = await client.authenticate({ username: 'latin1', password: users.latin1 });
    expect(result.mechanism).toBe('CRAM-MD5');
    expect(server.sessions[0]?.authenticatedAs).toBe('latin1');
  });

  test.each(['euro', 'ascii'] as const)('a %s password keeps DIGEST-MD5, which both readings hash alike', async (user) => {
    const server = await dovecotLike(['DIGEST-MD5', 'CRAM-MD5']);
    const client = await connectTo(server, { security: 'tls' });
    expect((await client.authenticate({ username: user, password: users[user] })).mechanism).toBe('DIGEST-MD5');
  });

  test('without CRAM-MD5 on offer DIGEST-MD5 is still chosen (and this server refuses it)', async () => {
    const server = await dovecotLike(['DIGEST-MD5']);
    const client = await connectTo(server, { security: 'tls' });
    const error = await failure(client.authenticate({ username: 'latin1', password: users.latin1 }));
    expect(error).toBeInstanceOf(SmtpAuthError);
    expect((error as SmtpAuthError).mechanism).toBe('DIGEST-MD5');
  });

  test('an explicitly requested DIGEST-MD5 is used as asked', async () => {
    const server = await dovecotLike(['DIGEST-MD5', 'CRAM-MD5']);
    const client = await connectTo(server, { security: 'tls' });
    const error = await failure(client.authenticate({ username: 'latin1', password: users.latin1, mechanism: 'DIGEST-MD5' }));
    expect(error).toBeInstanceOf(SmtpAuthError);
    expect(error.reply?.code).toBe(535);
  });
});
