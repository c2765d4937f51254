import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  digestMd5EncodingMatters,
  createClientMechanism,
  createServerMechanism,
  mechanismNeedsChannelBinding,
  mechanismSendsSecretInClear,
  SaslError,
  supportedMechanisms,
  verifyServerSuccess,
} from '@sysmail/sasl';
import { b64, bytes, runExchange, text, unb64 } from './exchange-driver.js';

const ctx = { service: 'smtp', host: 'mail.example.com' };
const digestChallenge = 'realm="example.com",nonce="abc",qop="auth",algorithm=md5-sess,charset=utf-8';
const code = (c: string) => expect.objectContaining({ name: 'SaslError', code: c });

describe('names', () => {
  test('case-insensitive on input, canonical upper case on output', () => {
    for (const name of supportedMechanisms) {
      const credentials = name === 'XOAUTH2' || name === 'OAUTHBEARER' ? { username: 'u', accessToken: 't' } : { username: 'u', password: 'p' };
      const mech = createClientMechanism(name.toLowerCase(), credentials, { ...ctx, channelBinding: { type: 'tls-exporter', data: new Uint8Array(32) } });
      expect(mech.name).toBe(name);
      expect(createServerMechanism(name.toLowerCase(), { lookupPassword: () => undefined }).name).toBe(name);
    }
  });

  test('unknown names, and credentials of the wrong kind', () => {
    expect(() => createClientMechanism('GSSAPI', { username: 'u', password: 'p' }, ctx)).toThrow(code('unsupported-mechanism'));
    expect(() => createServerMechanism('NTLM', { lookupPassword: () => undefined })).toThrow(code('unsupported-mechanism'));
    expect(() => createClientMechanism('PLAIN', { username: 'u', accessToken: 't' }, ctx)).toThrow(code('invalid-credentials'));
    expect(() => createClientMechanism('XOAUTH2', { username: 'u', password: 'p' }, ctx)).toThrow(code('invalid-credentials'));
    expect(() => createClientMechanism('PLAIN', { username: 'u', password: 'a\0b' }, ctx)).toThrow(code('invalid-credentials'));
    expect(() => createClientMechanism('LOGIN', { username: 'u\uD800', password: 'p' }, ctx)).toThrow(code('invalid-credentials'));
    expect(() => createClientMechanism('OAUTHBEARER', { username: 'u', accessToken: 'has space' }, ctx)).toThrow(code('invalid-credentials'));
  });

  test('policy helpers', () => {
    expect(['PLAIN', 'login', 'XOAUTH2', 'OAUTHBEARER'].every(mechanismSendsSecretInClear)).toBe(true);
    expect(['CRAM-MD5', 'DIGEST-MD5', 'SCRAM-SHA-256', 'EXTERNAL'].some(mechanismSendsSecretInClear)).toBe(false);
    expect(['scram-sha-1-plus', 'SCRAM-SHA-256-PLUS'].every(mechanismNeedsChannelBinding)).toBe(true);
    expect(['SCRAM-SHA-256', 'PLAIN', 'BOGUS-PLUS'].some(mechanismNeedsChannelBinding)).toBe(false);
  });
});

describe('LOGIN', () => {
  test('answers any prompt text with username then password, and nothing more', () => {
    const login = createClientMechanism('LOGIN', { username: 'alice', password: 's3cret' }, ctx);
    expect(login.initialResponse()).toBeNull();
    expect(text(login.respond(bytes('VXNlcm5hbWU6')))).toBe('alice');
    expect(login.complete).toBe(false);
    expect(text(login.respond(new Uint8Array([0xff, 0xfe])))).toBe('s3cret');
    expect(login.complete).toBe(true);
    expect(() => login.respond(bytes('Password:'))).toThrow(code('unexpected-challenge'));
  });
});

describe('DIGEST-MD5 client', () => {
  const make = (extra: object = {}) =>
    createClientMechanism('DIGEST-MD5', { username: 'chris', password: 'secret', ...extra }, { ...ctx, nonceFactory: () => 'cn' });

  test('refuses a server without qop=auth', () => {
    expect(() => make().respond(bytes('nonce="abc",qop="auth-int,auth-conf",algorithm=md5-sess'))).toThrow(code('unsupported-qop'));
  });

  test('a missing or wrong rspauth is an error and never completes', () => {
    const missing = make();
    missing.respond(bytes(digestChallenge));
    expect(() => missing.respond(bytes('nextnonce="x"'))).toThrow(code('missing-rspauth'));
    expect(missing.complete).toBe(false);
    const wrong = make();
    wrong.respond(bytes(digestChallenge));
    expect(() => wrong.respond(bytes('rspauth=00000000000000000000000000000000'))).toThrow(code('bad-rspauth'));
    expect(wrong.complete).toBe(false);
    expect(() => verifyServerSuccess(wrong)).toThrow(code('premature-success'));
  });

  test('realm: the first offered, else the host; digest-uri is service/host', () => {
    const offered = text(make().respond(bytes('realm="first",realm="second",nonce="n",algorithm=md5-sess')));
    expect(offered).toContain('realm="first"');
    expect(offered).toContain('digest-uri="smtp/mail.example.com"');
    expect(offered).not.toContain('charset');
    expect(text(make().respond(bytes('nonce="n",algorithm=md5-sess')))).toContain('realm="mail.example.com"');
  });

  test('refuses challenges without nonce or md5-sess, duplicated nonces, and unparsable ones', () => {
    for (const bad of ['qop="auth",algorithm=md5-sess', 'nonce="a",qop="auth"', 'nonce="a",nonce="b",algorithm=md5-sess', 'nonce="a', 'nonce=', ',=x']) {
      expect(() => make().respond(bytes(bad))).toThrow(code('malformed-challenge'));
    }
    expect(() => make().respond(bytes(`nonce="${'a'.repeat(2048)}",algorithm=md5-sess`))).toThrow(code('malformed-challenge'));
  });

  // An independent transcription of RFC 2831 section 2.1.2.1, to check the charset rule.
  const reference = (user: Buffer, realm: Buffer, pass: Buffer, nonce: string, cnonce: string, uri: string): string => {
    const md5 = (b: Buffer) => createHash('md5').update(b).digest();
    const hex = (b: Buffer) => md5(b).toString('hex');
    const a1 = Buffer.concat([md5(Buffer.concat([user, Buffer.from(':'), realm, Buffer.from(':'), pass])), Buffer.from(`:${nonce}:${cnonce}`)]);
    const a2 = Buffer.from(`AUTHENTICATE:${uri}`);
    return hex(Buffer.from(`${hex(a1)}:${nonce}:00000001:${cnonce}:auth:${hex(a2)}`));
  };

  test('charset=utf-8: strings that fit ISO-8859-1 are hashed in ISO-8859-1, others in UTF-8', () => {
    const client = createClientMechanism('DIGEST-MD5', { username: 'jürgen', password: '日本語' }, { ...ctx, nonceFactory: () => 'cn' });
    const response = text(client.respond(bytes('realm="r",nonce="n",algorithm=md5-sess,charset=utf-8')));
    expect(response).toContain(`username="${text(Buffer.from('jürgen', 'utf8'))}"`);
    const expected = reference(Buffer.from('jürgen', 'latin1'), Buffer.from('r'), Buffer.from('日本語', 'utf8'), 'n', 'cn', 'smtp/mail.example.com');
    expect(response).toContain(`response=${expected},`);
  });

  test("digestMd5PasswordEncoding 'utf-8' hashes the UTF-8 bytes (Dovecot's reading), only under charset=utf-8", () => {
    const context = { ...ctx, nonceFactory: () => 'cn', digestMd5PasswordEncoding: 'utf-8' as const };
    const client = createClientMechanism('DIGEST-MD5', { username: 'jürgen', password: 'pässwörd' }, context);
    const response = text(client.respond(bytes('realm="r",nonce="n",algorithm=md5-sess,charset=utf-8')));
    const expected = reference(Buffer.from('jürgen', 'utf8'), Buffer.from('r'), Buffer.from('pässwörd', 'utf8'), 'n', 'cn', 'smtp/mail.example.com');
    expect(response).toContain(`response=${expected},`);
    const withoutCharset = text(createClientMechanism('DIGEST-MD5', { username: 'jürgen', password: 'pässwörd' }, context).respond(bytes('realm="r",nonce="n",algorithm=md5-sess')));
    const latin1 = reference(Buffer.from('jürgen', 'latin1'), Buffer.from('r'), Buffer.from('pässwörd', 'latin1'), 'n', 'cn', 'smtp/mail.example.com');
    expect(withoutCharset).toContain(`response=${latin1},`);
  });

  test('digestMd5EncodingMatters: only non-ASCII text that fits in ISO-8859-1', () => {
    expect(digestMd5EncodingMatters({ username: 'u', password: 'pässwörd' })).toBe(true);
    expect(digestMd5EncodingMatters({ username: 'jürgen', password: 'p' })).toBe(true);
    expect(digestMd5EncodingMatters({ username: 'jürgen' })).toBe(true);
    expect(digestMd5EncodingMatters({ username: 'u', password: '€uro-pass' })).toBe(false);
    expect(digestMd5EncodingMatters({ username: 'u', password: 'ascii' })).toBe(false);
  });

  test('without charset=utf-8, credentials outside ISO-8859-1 cannot be sent', () => {
    const client = createClientMechanism('DIGEST-MD5', { username: 'u', password: 'Ω' }, ctx);
    expect(() => client.respond(bytes('nonce="n",algorithm=md5-sess'))).toThrow(code('invalid-credentials'));
  });

  test('authzid is sent and checked by the server', () => {
    const verifier = { lookupPassword: (u: string) => (u === 'chris' ? 'secret' : undefined) };
    const ok = runExchange(make({ authzid: 'chris' }), createServerMechanism('DIGEST-MD5', verifier), false);
    expect(ok).toEqual({ kind: 'success', identity: 'chris' });
    const other = runExchange(make({ authzid: 'root' }), createServerMechanism('DIGEST-MD5', verifier), false);
    expect(other.kind).toBe('failure');
  });
});

describe('SCRAM client', () => {
  const make = (name = 'SCRAM-SHA-256', extra: object = {}) =>
    createClientMechanism(name, { username: 'user', password: 'pencil' }, { ...ctx, nonceFactory: () => 'abc', ...extra });

  test('the server nonce must extend the client nonce', () => {
    for (const r of ['xyz123', 'abc']) {
      const scram = make();
      scram.initialResponse();
      expect(() => scram.respond(bytes(`r=${r},s=QSXCR+Q6sek8bf92,i=4096`))).toThrow(code('nonce-mismatch'));
    }
  });

  test('fewer than 4096 iterations are refused unless allowed', () => {
    const strict = make();
    strict.initialResponse();
    expect(() => strict.respond(bytes('r=abcdef,s=QSXCR+Q6sek8bf92,i=4095'))).toThrow(code('weak-iterations'));
    const lax = make('SCRAM-SHA-256', { allowWeakIterations: true });
    lax.initialResponse();
    expect(() => lax.respond(bytes('r=abcdef,s=QSXCR+Q6sek8bf92,i=1'))).not.toThrow();
  });

  test('a wrong server signature, a server error and a premature success are errors', () => {
    const scram = make();
    scram.initialResponse();
    scram.respond(bytes('r=abcdef,s=QSXCR+Q6sek8bf92,i=4096'));
    expect(() => verifyServerSuccess(scram)).toThrow(code('premature-success'));
    expect(() => scram.respond(bytes(`v=${b64(new Uint8Array(32))}`))).toThrow(code('bad-server-signature'));
    expect(scram.complete).toBe(false);
    const failed = make();
    failed.initialResponse();
    failed.respond(bytes('r=abcdef,s=QSXCR+Q6sek8bf92,i=4096'));
    expect(() => failed.respond(bytes('e=invalid-proof'))).toThrow(code('server-error'));
  });

  test('malformed server-first messages', () => {
    for (const bad of ['m=x,r=abcdef,s=QSXCR+Q6sek8bf92,i=4096', 'r=abcdef,s=!!!,i=4096', 'r=abcdef,s=QSXCR+Q6sek8bf92,i=0', 'r=abcdef,s=QSXCR+Q6sek8bf92,i=99999999', 'garbage']) {
      const scram = make();
      scram.initialResponse();
      expect(() => scram.respond(bytes(bad))).toThrow(code('malformed-challenge'));
    }
  });

  test('username escaping and SASLprep', () => {
    const scram = createClientMechanism('SCRAM-SHA-1', { username: 'a,b=c\u00AD', password: 'p', authzid: 'x=y' }, { ...ctx, nonceFactory: () => 'n' });
    expect(text(scram.initialResponse() ?? new Uint8Array(0))).toBe('n,a=x=3Dy,n=a=2Cb=3Dc,r=n');
    expect(() => createClientMechanism('SCRAM-SHA-1', { username: 'u', password: 'bell\u0007' }, ctx)).toThrow(code('saslprep-prohibited'));
  });

  test('the -PLUS variants need channel binding and bind tls-exporter data', () => {
    expect(() => make('SCRAM-SHA-256-PLUS')).toThrow(code('channel-binding-required'));
    const data = new Uint8Array(32).fill(7);
    const plus = make('SCRAM-SHA-256-PLUS', { channelBinding: { type: 'tls-exporter', data } });
    expect(text(plus.initialResponse() ?? new Uint8Array(0))).toBe('p=tls-exporter,,n=user,r=abc');
    const final = text(plus.respond(bytes('r=abcdef,s=QSXCR+Q6sek8bf92,i=4096')));
    const c = /^c=([^,]*),/.exec(final)?.[1] ?? '';
    expect(unb64(c)).toEqual(new Uint8Array([...Buffer.from('p=tls-exporter,,'), ...data]));
  });

  test('plain SCRAM with channel binding available says y, which a -PLUS server treats as a downgrade', () => {
    const channelBinding = { type: 'tls-exporter' as const, data: new Uint8Array(32).fill(1) };
    const client = () => createClientMechanism('SCRAM-SHA-256', { username: 'user', password: 'pencil' }, { ...ctx, channelBinding, allowWeakIterations: true });
    expect(text(client().initialResponse() ?? new Uint8Array(0))).toMatch(/^y,,n=user,r=/);
    const verifier = { lookupPassword: () => 'pencil' };
    expect(runExchange(client(), createServerMechanism('SCRAM-SHA-256', verifier, { iterations: 16 }), true).kind).toBe('success');
    expect(runExchange(client(), createServerMechanism('SCRAM-SHA-256', verifier, { iterations: 16, channelBinding }), true).kind).toBe('failure');
  });

  test('the server refuses other channel binding data', () => {
    const verifier = { lookupPassword: () => 'pencil' };
    const mine = { type: 'tls-exporter' as const, data: new Uint8Array(32).fill(1) };
    const theirs = { type: 'tls-exporter' as const, data: new Uint8Array(32).fill(2) };
    const client = createClientMechanism('SCRAM-SHA-1-PLUS', { username: 'user', password: 'pencil' }, { ...ctx, channelBinding: mine, allowWeakIterations: true });
    expect(runExchange(client, createServerMechanism('SCRAM-SHA-1-PLUS', verifier, { iterations: 16, channelBinding: theirs }), true).kind).toBe('failure');
  });
});

describe('client-first mechanisms and state', () => {
  test('without SASL-IR the initial message answers the empty challenge; out-of-order calls are refused', () => {
    const plain = createClientMechanism('PLAIN', { username: 'u', password: 'p' }, ctx);
    expect(text(plain.respond(new Uint8Array(0)))).toBe('\0u\0p');
    expect(() => plain.initialResponse()).toThrow(code('invalid-state'));
    expect(() => plain.respond(new Uint8Array(0))).toThrow(code('unexpected-challenge'));
  });

  test('EXTERNAL sends the authzid or nothing; ANONYMOUS sends the trace', () => {
    expect(createClientMechanism('EXTERNAL', { username: 'u', password: '' }, ctx).initialResponse()).toEqual(new Uint8Array(0));
    expect(text(createClientMechanism('EXTERNAL', { username: 'u', password: '', authzid: 'admin' }, ctx).initialResponse() ?? new Uint8Array(0))).toBe('admin');
    expect(text(createClientMechanism('ANONYMOUS', { username: 'sysmail@example.com', accessToken: 'x' }, ctx).initialResponse() ?? new Uint8Array(0))).toBe('sysmail@example.com');
    expect(() => createClientMechanism('ANONYMOUS', { username: 'x'.repeat(256), password: '' }, ctx)).toThrow(code('invalid-credentials'));
  });

  test('EXTERNAL server: the identity established outside SASL', () => {
    expect(createServerMechanism('EXTERNAL', { lookupPassword: () => undefined, externalIdentity: 'cn=app' }).step(new Uint8Array(0))).toEqual({ type: 'success', identity: 'cn=app' });
    expect(createServerMechanism('EXTERNAL', { lookupPassword: () => undefined }).step(new Uint8Array(0)).type).toBe('failure');
    expect(createServerMechanism('EXTERNAL', { lookupPassword: () => undefined, externalIdentity: 'cn=app' }).step(bytes('root')).type).toBe('failure');
  });

  test('servers refuse anything after the outcome', () => {
    const server = createServerMechanism('PLAIN', { lookupPassword: () => 'p' });
    expect(server.step(bytes('\0u\0p'))).toEqual({ type: 'success', identity: 'u' });
    expect(server.step(bytes('\0u\0p')).type).toBe('failure');
  });
});

test('SaslError carries a code and is an Error', () => {
  const error = new SaslError('bad-rspauth', 'x');
  expect(error).toBeInstanceOf(Error);
  expect(error.name).toBe('SaslError');
  expect(error.code).toBe('bad-rspauth');
});

test('OAUTHBEARER refuses a context whose host or port cannot be carried', () => {
  const credentials = { username: 'u', accessToken: 't' };
  expect(() => createClientMechanism('OAUTHBEARER', credentials, { service: 'smtp', host: 'a\x01b' })).toThrow(expect.objectContaining({ code: 'invalid-context' }));
  expect(() => createClientMechanism('OAUTHBEARER', credentials, { service: 'smtp', host: 'h', port: 70000 })).toThrow(expect.objectContaining({ code: 'invalid-context' }));
  expect(text(createClientMechanism('OAUTHBEARER', credentials, { service: 'smtp', host: 'h' }).initialResponse() ?? new Uint8Array(0))).toBe('n,a=u,\x01host=h\x01auth=Bearer t\x01\x01');
});

test('LOGIN server: prompts, takes an initial response as the username, checks the password', () => {
  const server = createServerMechanism('LOGIN', { lookupPassword: (u) => (u === 'alice' ? 'pw' : undefined) });
  expect(server.step(null)).toEqual({ type: 'challenge', challenge: bytes('Username:') });
  expect(server.step(bytes('alice'))).toEqual({ type: 'challenge', challenge: bytes('Password:') });
  expect(server.step(bytes('pw'))).toEqual({ type: 'success', identity: 'alice' });
  const withIr = createServerMechanism('LOGIN', { lookupPassword: () => 'pw' });
  expect(withIr.step(bytes('bob'))).toEqual({ type: 'challenge', challenge: bytes('Password:') });
  expect(withIr.step(bytes('nope')).type).toBe('failure');
});
