import { describe, expect, test } from 'vitest';
import { createClientMechanism, createServerMechanism, SaslError } from '@sysmail/sasl';
import { b64, bytes, text, unb64, utf8 } from './exchange-driver.js';

const ctx = { service: 'imap', host: 'elwood.innosoft.com' };

describe('RFC 4616 section 4 (PLAIN)', () => {
  test('tim / tanstaaftanstaaf, without authzid, answering the empty challenge', () => {
    const plain = createClientMechanism('plain', { username: 'tim', password: 'tanstaaftanstaaf' }, ctx);
    expect(plain.name).toBe('PLAIN');
    expect(text(plain.respond(new Uint8Array(0)))).toBe('\0tim\0tanstaaftanstaaf');
    expect(plain.complete).toBe(true);
  });

  test('Kurt / xipj3plmq acting as Ursel, which the server refuses', () => {
    const plain = createClientMechanism('PLAIN', { username: 'Kurt', password: 'xipj3plmq', authzid: 'Ursel' }, ctx);
    const message = plain.initialResponse();
    expect(text(message ?? new Uint8Array(0))).toBe('Ursel\0Kurt\0xipj3plmq');
    const server = createServerMechanism('PLAIN', { lookupPassword: (u) => (u === 'Kurt' ? 'xipj3plmq' : undefined) });
    expect(server.step(message)).toMatchObject({ type: 'failure' });
  });
});

describe('RFC 2195 section 2 (CRAM-MD5)', () => {
  const challenge = '<1896.697170952@postoffice.reston.mci.net>';

  test('client', () => {
    const cram = createClientMechanism('cram-md5', { username: 'tim', password: 'tanstaaftanstaaf' }, ctx);
    expect(cram.initialResponse()).toBeNull();
    expect(text(cram.respond(bytes(challenge)))).toBe('tim b913a602c7eda7a495b4e6e7334d3890');
    expect(cram.complete).toBe(true);
  });

  test('server reproduces the challenge and accepts the response', () => {
    const server = createServerMechanism('CRAM-MD5', { lookupPassword: () => 'tanstaaftanstaaf' }, {
      host: 'postoffice.reston.mci.net',
      nonceFactory: () => '1896.697170952',
    });
    expect(server.step(null)).toEqual({ type: 'challenge', challenge: bytes(challenge) });
    expect(server.step(bytes('tim b913a602c7eda7a495b4e6e7334d3890'))).toEqual({ type: 'success', identity: 'tim' });
  });
});

describe('RFC 2831 section 4 (DIGEST-MD5)', () => {
  const examples = [
    {
      service: 'imap',
      cnonce: 'OA6MHXh6VqTrRk',
      nonce: 'OA6MG9tEQGm2hh',
      response: 'd388dad90d4bbd760a152321f2143af7',
      rspauth: 'ea40f60335c427b5527b84dbabcdfffd',
    },
    {
      service: 'acap',
      cnonce: 'OA9BSuZWMSpW8m',
      nonce: 'OA9BSXrbuRhWay',
      response: '6084c6db3fede7352c551284490fd0fc',
      rspauth: '2f0b3d7c3c2e486600ef710726aa2eae',
    },
  ];

  test('the IMAP example challenge, byte for byte from its base64', () => {
    expect(text(unb64('cmVhbG09ImVsd29vZC5pbm5vc29mdC5jb20iLG5vbmNlPSJPQTZNRzl0RVFHbTJoaCIscW9wPSJhdXRoIixhbGdvcml0aG09bWQ1LXNlc3MsY2hhcnNldD11dGYtOA=='))).toBe(
      'realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8',
    );
  });

  for (const ex of examples) {
    const challenge = `realm="elwood.innosoft.com",nonce="${ex.nonce}",qop="auth",algorithm=md5-sess,charset=utf-8`;
    const expected =
      `charset=utf-8,username="chris",realm="elwood.innosoft.com",nonce="${ex.nonce}",nc=00000001,` +
      `cnonce="${ex.cnonce}",digest-uri="${ex.service}/elwood.innosoft.com",response=${ex.response},qop=auth`;

    test(`${ex.service}: client response and rspauth`, () => {
      const digest = createClientMechanism('Digest-MD5', { username: 'chris', password: 'secret' }, {
        service: ex.service,
        host: 'elwood.innosoft.com',
        nonceFactory: () => ex.cnonce,
      });
      expect(digest.initialResponse()).toBeNull();
      expect(text(digest.respond(bytes(challenge)))).toBe(expected);
      expect(digest.complete).toBe(false);
      expect(digest.respond(bytes(`rspauth=${ex.rspauth}`))).toEqual(new Uint8Array(0));
      expect(digest.complete).toBe(true);
    });

    test(`${ex.service}: server challenge, rspauth round and success`, () => {
      const server = createServerMechanism('DIGEST-MD5', { lookupPassword: () => 'secret' }, {
        service: ex.service,
        host: 'elwood.innosoft.com',
        realm: 'elwood.innosoft.com',
        nonceFactory: () => ex.nonce,
      });
      expect(text((server.step(null) as { challenge: Uint8Array }).challenge)).toBe(challenge);
      expect(server.step(bytes(expected))).toEqual({ type: 'challenge', challenge: bytes(`rspauth=${ex.rspauth}`) });
      expect(server.step(new Uint8Array(0))).toEqual({ type: 'success', identity: 'chris' });
    });
  }

  test('the IMAP example, base64 of the response as printed in the RFC', () => {
    const digest = createClientMechanism('DIGEST-MD5', { username: 'chris', password: 'secret' }, {
      service: 'imap',
      host: 'elwood.innosoft.com',
      nonceFactory: () => 'OA6MHXh6VqTrRk',
    });
    const response = digest.respond(
      unb64('cmVhbG09ImVsd29vZC5pbm5vc29mdC5jb20iLG5vbmNlPSJPQTZNRzl0RVFHbTJoaCIscW9wPSJhdXRoIixhbGdvcml0aG09bWQ1LXNlc3MsY2hhcnNldD11dGYtOA=='),
    );
    expect(b64(response)).toBe(
      'Y2hhcnNldD11dGYtOCx1c2VybmFtZT0iY2hyaXMiLHJlYWxtPSJlbHdvb2QuaW5ub3NvZnQuY29tIixub25jZT0iT0E2TUc5dEVRR20yaGgiLG5jPTAwMDAwMDAxLGNub25jZT0iT0E2TUhYaDZWcVRyUmsiLGRpZ2VzdC11cmk9ImltYXAvZWx3b29kLmlubm9zb2Z0LmNvbSIscmVzcG9uc2U9ZDM4OGRhZDkwZDRiYmQ3NjBhMTUyMzIxZjIxNDNhZjcscW9wPWF1dGg=',
    );
    expect(() => digest.respond(unb64('cnNwYXV0aD1lYTQwZjYwMzM1YzQyN2I1NTI3Yjg0ZGJhYmNkZmZmZA=='))).not.toThrow();
    expect(digest.complete).toBe(true);
  });
});

describe('RFC 5802 section 5 and RFC 7677 section 3 (SCRAM)', () => {
  const vectors = [
    {
      name: 'SCRAM-SHA-1',
      nonce: 'fyko+d2lbbFgONRv9qkxdawL',
      serverNonce: '3rfcNHYJY1ZVvWVs7j',
      salt: 'QSXCR+Q6sek8bf92',
      proof: 'v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
      verifier: 'rmF9pqV8S7suAoZWja4dJRkFsKQ=',
    },
    {
      name: 'SCRAM-SHA-256',
      nonce: 'rOprNGfwEbeRWgbNEkqO',
      serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
      salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
      proof: 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
      verifier: '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
    },
  ];
  for (const v of vectors) {
    const serverFirst = `r=${v.nonce}${v.serverNonce},s=${v.salt},i=4096`;
    const clientFinal = `c=biws,r=${v.nonce}${v.serverNonce},p=${v.proof}`;

    test(`${v.name} client, 4096 iterations`, () => {
      const scram = createClientMechanism(v.name.toLowerCase(), { username: 'user', password: 'pencil' }, { ...ctx, nonceFactory: () => v.nonce });
      expect(text(scram.initialResponse() ?? new Uint8Array(0))).toBe(`n,,n=user,r=${v.nonce}`);
      expect(text(scram.respond(bytes(serverFirst)))).toBe(clientFinal);
      expect(scram.complete).toBe(false);
      expect(scram.respond(bytes(`v=${v.verifier}`))).toEqual(new Uint8Array(0));
      expect(scram.complete).toBe(true);
    });

    test(`${v.name} server`, () => {
      const server = createServerMechanism(v.name, { lookupPassword: (u) => (u === 'user' ? 'pencil' : undefined) }, {
        salt: unb64(v.salt),
        iterations: 4096,
        nonceFactory: () => v.serverNonce,
      });
      expect(server.step(null)).toEqual({ type: 'challenge', challenge: new Uint8Array(0) });
      expect(server.step(bytes(`n,,n=user,r=${v.nonce}`))).toEqual({ type: 'challenge', challenge: bytes(serverFirst) });
      expect(server.step(bytes(clientFinal))).toEqual({ type: 'success', identity: 'user', finalData: bytes(`v=${v.verifier}`) });
    });
  }
});

describe('RFC 7628 section 4 (OAUTHBEARER)', () => {
  const credentials = { username: 'user@example.com', accessToken: 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==' };
  const initial =
    'bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB';

  test('4.1: the successful IMAP initial response', () => {
    const bearer = createClientMechanism('oauthbearer', credentials, { service: 'imap', host: 'server.example.com', port: 143 });
    const message = bearer.initialResponse() ?? new Uint8Array(0);
    expect(text(message)).toBe('n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01');
    expect(b64(message)).toBe(initial);
    expect(bearer.complete).toBe(true);
  });

  test('4.3: the failure challenge is answered with %x01 and surfaced as serverError', () => {
    const bearer = createClientMechanism('OAUTHBEARER', credentials, { service: 'imap', host: 'server.example.com', port: 143 });
    expect(b64(bearer.initialResponse() ?? new Uint8Array(0))).toBe(initial);
    const reply = bearer.respond(
      unb64('eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0='),
    );
    expect(b64(reply)).toBe('AQ==');
    expect(bearer.serverError).toEqual({
      status: 'invalid_token',
      scope: 'example_scope',
      'openid-configuration': 'https://example.com/.well-known/openid-configuration',
    });
    expect(bearer.complete).toBe(false);
  });

  test('server: accepts the 4.1 message, and runs the 4.3 error round', () => {
    const good = createServerMechanism('OAUTHBEARER', { lookupPassword: () => undefined, verifyToken: (u, t) => u === credentials.username && t === credentials.accessToken });
    expect(good.step(unb64(initial))).toEqual({ type: 'success', identity: 'user@example.com' });
    const error = { status: 'invalid_token', scope: 'example_scope' };
    const bad = createServerMechanism('OAUTHBEARER', { lookupPassword: () => undefined, verifyToken: () => ({ error }) });
    expect(bad.step(unb64(initial))).toEqual({ type: 'challenge', challenge: utf8(JSON.stringify(error)) });
    expect(bad.step(new Uint8Array([1]))).toMatchObject({ type: 'failure' });
  });
});

describe("Google's XOAUTH2 example", () => {
  const credentials = { username: 'someuser@example.com', accessToken: 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg' };
  const initial =
    'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==';

  test('initial response', () => {
    const x = createClientMechanism('xoauth2', credentials, { service: 'smtp', host: 'smtp.gmail.com', port: 587 });
    expect(x.name).toBe('XOAUTH2');
    expect(b64(x.initialResponse() ?? new Uint8Array(0))).toBe(initial);
  });

  test('the error challenge is answered with an empty message; the server then fails', () => {
    const server = createServerMechanism('XOAUTH2', { lookupPassword: () => undefined, verifyToken: () => false });
    const x = createClientMechanism('XOAUTH2', credentials, { service: 'smtp', host: 'smtp.gmail.com' });
    const step = server.step(x.initialResponse());
    expect(step).toEqual({ type: 'challenge', challenge: utf8('{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}') });
    if (step.type !== 'challenge') throw new Error('unreachable');
    expect(x.respond(step.challenge)).toEqual(new Uint8Array(0));
    expect(x.serverError).toEqual({ status: '401', schemes: 'Bearer', scope: 'https://mail.google.com/' });
    expect(x.complete).toBe(false);
    expect(server.step(new Uint8Array(0))).toMatchObject({ type: 'failure' });
    expect(() => x.respond(new Uint8Array(0))).toThrow(SaslError);
  });
});
