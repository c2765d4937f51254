import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createClientMechanism, SaslError, type SaslCredentials } from '@sysmail/sasl';
import { campaign, FUZZ_RUNS, HEAVY_RUNS, protocolBytes } from './fuzz-runs.js';

const PASSWORD = 'fuzz-Pw-s3cr3t';
const TOKEN = 'ya29.fuzz-T0k3n';
const CONTEXT = { service: 'smtp', host: 'mail.example.com', port: 587, nonceFactory: () => 'fyko+d2lbbFgONRv9qkxdawL' };

const CHALLENGE_TOKENS = [
  'realm="', 'nonce="', 'qop="auth"', 'qop=auth-int', 'charset=utf-8', 'algorithm=md5-sess', 'rspauth=', 'stale=true', 'maxbuf=',
  '"', '\\', ',', '=', ',,', ' ', 'r=fyko+d2lbbFgONRv9qkxdawL', 'r=', 's=QSXCR+Q6sek8bf92', 'i=4096', 'i=1', 'i=99999999999',
  'v=', 'e=invalid-proof', 'm=', '{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}', '{', '}', 'null', '[]',
  '<1896.697170952@postoffice.example.net>', '\0', '\xff', '\xc3', '\x01',
];

/** Drives a mechanism with up to three arbitrary challenges: each step gives bytes or a SaslError, nothing else. */
function drive(name: string, credentials: SaslCredentials, challenges: Uint8Array[]): void {
  let mechanism;
  try {
    mechanism = createClientMechanism(name, credentials, CONTEXT);
    mechanism.initialResponse();
  } catch (error) {
    expect(error).toBeInstanceOf(SaslError);
    return;
  }
  for (const challenge of challenges) {
    try {
      const response = mechanism.respond(challenge);
      expect(response).toBeInstanceOf(Uint8Array);
    } catch (error) {
      expect(error).toBeInstanceOf(SaslError);
      const exposed = `${(error as Error).message} ${JSON.stringify(error)}`;
      expect(exposed).not.toContain(PASSWORD);
      expect(exposed).not.toContain(TOKEN);
      return;
    }
  }
}

describe.each([
  ['DIGEST-MD5', { username: 'chris', password: PASSWORD }],
  ['SCRAM-SHA-1', { username: 'user', password: PASSWORD }],
  ['SCRAM-SHA-256', { username: 'user', password: PASSWORD }],
  ['CRAM-MD5', { username: 'tim', password: PASSWORD }],
  ['XOAUTH2', { username: 'someuser@example.com', accessToken: TOKEN }],
  ['OAUTHBEARER', { username: 'someuser@example.com', accessToken: TOKEN }],
] as [string, SaslCredentials][])('%s client against arbitrary challenges', (name, credentials) => {
  test('a response or a SaslError, never another exception, never a secret in the error', () => {
    campaign(
      fc.property(fc.array(fc.oneof(protocolBytes(CHALLENGE_TOKENS, 16), fc.uint8Array({ maxLength: 64 })), { minLength: 1, maxLength: 3 }), (challenges) => {
        drive(name, credentials, challenges);
      }),
    );
  });
});

describe('1 MiB challenges', () => {
  test('every mechanism answers a 1 MiB challenge with a response or a SaslError', () => {
    campaign(
      fc.property(fc.constantFrom('DIGEST-MD5', 'SCRAM-SHA-256', 'CRAM-MD5', 'XOAUTH2'), fc.constantFrom(0x41, 0x2c, 0x3d, 0x22, 0x00, 0xff), (name, fill) => {
        const credentials = name === 'XOAUTH2' ? { username: 'someuser@example.com', accessToken: TOKEN } : { username: 'user', password: PASSWORD };
        drive(name, credentials, [new Uint8Array(1024 * 1024).fill(fill)]);
      }),
      HEAVY_RUNS,
    );
  });
});

describe('second steps after a valid first challenge', () => {
  const suffix = fc.stringMatching(/^[A-Za-z0-9+/]{1,24}$/);
  test('SCRAM-SHA-256: any server-final message after a valid server-first gives a response or a SaslError', () => {
    campaign(
      fc.property(suffix, fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.oneof(protocolBytes(CHALLENGE_TOKENS, 8), fc.string().map((text) => new Uint8Array(Buffer.from(`v=${text}`)))), (nonce, salt, final) => {
        const serverFirst = new Uint8Array(Buffer.from(`r=${CONTEXT.nonceFactory()}${nonce},s=${Buffer.from(salt).toString('base64')},i=4096`));
        drive('SCRAM-SHA-256', { username: 'user', password: PASSWORD }, [serverFirst, final, final]);
      }),
      // Each run derives a key with 4096 PBKDF2 iterations.
      Math.max(10, Math.round(FUZZ_RUNS / 50)),
    );
  });

  test('DIGEST-MD5: any rspauth message after a valid challenge gives a response or a SaslError', () => {
    campaign(
      fc.property(suffix, fc.oneof(protocolBytes(CHALLENGE_TOKENS, 8), fc.string().map((text) => new Uint8Array(Buffer.from(`rspauth=${text}`)))), (nonce, second) => {
        const challenge = new Uint8Array(Buffer.from(`realm="elwood.innosoft.com",nonce="${nonce}",qop="auth",algorithm=md5-sess,charset=utf-8`));
        drive('DIGEST-MD5', { username: 'chris', password: PASSWORD }, [challenge, second, second]);
      }),
    );
  });

  test('XOAUTH2 / OAUTHBEARER: any JSON error challenge gives the empty reply or a SaslError', () => {
    campaign(
      fc.property(fc.constantFrom('XOAUTH2', 'OAUTHBEARER'), fc.json(), (name, json) => {
        drive(name, { username: 'someuser@example.com', accessToken: TOKEN }, [new Uint8Array(Buffer.from(json, 'utf8'))]);
      }),
    );
  });
});
