import { describe, expect, test } from 'vitest';
import { SmtpAuthError } from '../src/index.js';
import { connectTo, failure, fakeServer, transcriptSink } from './helpers.js';

// Dovecot, the usual SASL backend of Postfix, hashes DIGEST-MD5 passwords as UTF-8 bytes;
// RFC 2831 (followed by @sysmail/sasl) hashes a Latin-1-representable one as ISO-8859-1.
// The fake server's digestMd5Utf8Passwords reproduces Dovecot (seen in the interop suite).
// Automatic choice prefers CRAM-MD5 for such credentials (@sysmail/sasl's selectMechanism);
// a DIGEST-MD5 refused with 535 is retried once in the UTF-8 form.
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

  test('without CRAM-MD5 on offer DIGEST-MD5 is chosen; refused in the RFC 2831 form, it logs in with one retry in the UTF-8 form', async () => {
    const server = await dovecotLike(['DIGEST-MD5']);
    const transcript = transcriptSink();
    const client = await connectTo(server, { security: 'tls', onTranscript: transcript.onTranscript });
    const result = await client.authenticate({ username: 'latin1', password: users.latin1 });
    expect(result).toMatchObject({ mechanism: 'DIGEST-MD5', reply: { code: 235 } });
    expect(server.sessions[0]?.authenticatedAs).toBe('latin1');
    expect(transcript.entries.filter((entry) => entry.direction === 'client' && entry.text.startsWith('AUTH DIGEST-MD5'))).toHaveLength(2);
  });
});

describe('an explicit DIGEST-MD5 with Latin-1 credentials', () => {
  test('against a Dovecot-like server: refused once (535), then logs in with the UTF-8 form', async () => {
    const server = await dovecotLike(['DIGEST-MD5', 'CRAM-MD5']);
    const client = await connectTo(server, { security: 'tls' });
    expect((await client.authenticate({ username: 'latin1', password: users.latin1, mechanism: 'DIGEST-MD5' })).mechanism).toBe('DIGEST-MD5');
    expect(server.sessions[0]?.authenticatedAs).toBe('latin1');
  });

  test('against an RFC 2831 server: the first exchange logs in, no retry', async () => {
    const server = await fakeServer({ hostname: '127.0.0.1', implicitTls: true, auth: { mechanisms: ['DIGEST-MD5'], users } });
    const transcript = transcriptSink();
    const client = await connectTo(server, { security: 'tls', onTranscript: transcript.onTranscript });
    expect((await client.authenticate({ username: 'latin1', password: users.latin1, mechanism: 'DIGEST-MD5' })).mechanism).toBe('DIGEST-MD5');
    expect(transcript.entries.filter((entry) => entry.direction === 'client' && entry.text.startsWith('AUTH '))).toHaveLength(1);
  });

  test('a wrong Latin-1 password: both forms refused, the first refusal is reported, and the session goes on', async () => {
    const server = await dovecotLike(['DIGEST-MD5']);
    const transcript = transcriptSink();
    const client = await connectTo(server, { security: 'tls', onTranscript: transcript.onTranscript });
    const error = await failure(client.authenticate({ username: 'latin1', password: 'wrong-pässwörd', mechanism: 'DIGEST-MD5' }));
    expect(error).toBeInstanceOf(SmtpAuthError);
    expect(error).toMatchObject({ mechanism: 'DIGEST-MD5', reply: { code: 535 } });
    expect(transcript.entries.filter((entry) => entry.direction === 'client' && entry.text.startsWith('AUTH '))).toHaveLength(2);
    expect((await client.authenticate({ username: 'latin1', password: users.latin1, mechanism: 'DIGEST-MD5' })).mechanism).toBe('DIGEST-MD5');
  });

  test.each(['euro', 'ascii'] as const)('a wrong %s password is not retried: both forms would hash it alike', async (user) => {
    const server = await dovecotLike(['DIGEST-MD5']);
    const transcript = transcriptSink();
    const client = await connectTo(server, { security: 'tls', onTranscript: transcript.onTranscript });
    const error = await failure(client.authenticate({ username: user, password: `${users[user]}-wrong`, mechanism: 'DIGEST-MD5' }));
    expect(error).toBeInstanceOf(SmtpAuthError);
    expect(transcript.entries.filter((entry) => entry.direction === 'client' && entry.text.startsWith('AUTH '))).toHaveLength(1);
  });
});
