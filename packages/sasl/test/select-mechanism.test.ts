import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  mechanismNeedsChannelBinding,
  mechanismSendsSecretInClear,
  passwordMechanismRanking,
  selectMechanism,
  supportedMechanisms,
  tokenMechanismRanking,
} from '@sysmail/sasl';

const password = { username: 'u', password: 'p' };
const token = { username: 'u', accessToken: 't' };

describe('selectMechanism', () => {
  test('picks the strongest offered password mechanism, case-insensitively', () => {
    expect(selectMechanism(['login', 'plain', 'cram-md5'], password, { secure: true })).toBe('CRAM-MD5');
    expect(selectMechanism(['PLAIN', 'DIGEST-MD5', 'SCRAM-SHA-1', 'Scram-Sha-256'], password, { secure: false })).toBe('SCRAM-SHA-256');
    expect(selectMechanism(['PLAIN', 'LOGIN'], password, { secure: true })).toBe('PLAIN');
    expect(selectMechanism(['XOAUTH2'], password, { secure: true })).toBeUndefined();
  });

  test('CRAM-MD5 before DIGEST-MD5 for non-ASCII Latin-1 credentials, which servers hash differently under DIGEST-MD5', () => {
    const offered = ['PLAIN', 'DIGEST-MD5', 'CRAM-MD5'];
    expect(selectMechanism(offered, { username: 'u', password: 'pässwörd' }, { secure: true })).toBe('CRAM-MD5');
    expect(selectMechanism(offered, { username: 'jürgen', password: 'p' }, { secure: true })).toBe('CRAM-MD5');
    expect(selectMechanism(offered, { username: 'u', password: '€uro-pass' }, { secure: true })).toBe('DIGEST-MD5');
    expect(selectMechanism(offered, password, { secure: true })).toBe('DIGEST-MD5');
    expect(selectMechanism(['DIGEST-MD5', 'PLAIN'], { username: 'u', password: 'pässwörd' }, { secure: false })).toBe('DIGEST-MD5');
    expect(selectMechanism(['SCRAM-SHA-256', ...offered], { username: 'u', password: 'pässwörd' }, { secure: true })).toBe('SCRAM-SHA-256');
  });

  test('-PLUS only with channel binding', () => {
    const offered = ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-1'];
    expect(selectMechanism(offered, password, { secure: true })).toBe('SCRAM-SHA-1');
    expect(selectMechanism(offered, password, { secure: true, channelBinding: true })).toBe('SCRAM-SHA-256-PLUS');
    expect(selectMechanism(['SCRAM-SHA-1-PLUS'], password, { secure: true })).toBeUndefined();
  });

  test('clear-text secrets only over TLS unless explicitly allowed', () => {
    expect(selectMechanism(['PLAIN', 'LOGIN'], password, { secure: false })).toBeUndefined();
    expect(selectMechanism(['LOGIN'], password, { secure: false, allowPlaintextOnInsecure: true })).toBe('LOGIN');
    expect(selectMechanism(['XOAUTH2'], token, { secure: false })).toBeUndefined();
  });

  test('tokens: XOAUTH2 before OAUTHBEARER', () => {
    expect(selectMechanism(['OAUTHBEARER', 'XOAUTH2', 'PLAIN'], token, { secure: true })).toBe('XOAUTH2');
    expect(selectMechanism(['oauthbearer', 'PLAIN'], token, { secure: true })).toBe('OAUTHBEARER');
  });

  test('the rankings', () => {
    expect(passwordMechanismRanking).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'DIGEST-MD5', 'CRAM-MD5', 'PLAIN', 'LOGIN']);
    expect(tokenMechanismRanking).toEqual(['XOAUTH2', 'OAUTHBEARER']);
  });
});

const randomCase = (name: string) => fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((flags) => [...name].map((c, i) => (flags[i] === true ? c.toLowerCase() : c)).join(''));

test('property: never an unoffered mechanism, a clear-text one on an insecure link, or -PLUS without binding', () => {
  const offered = fc.array(fc.oneof(fc.constantFrom(...supportedMechanisms, 'GSSAPI', 'NTLM').chain(randomCase), fc.string()), { maxLength: 10 });
  const policy = fc.record({ secure: fc.boolean(), allowPlaintextOnInsecure: fc.option(fc.boolean(), { nil: undefined }), channelBinding: fc.option(fc.boolean(), { nil: undefined }) });
  fc.assert(
    fc.property(offered, fc.constantFrom(password, token), policy, (names, credentials, p) => {
      const chosen = selectMechanism(names, credentials, p);
      if (chosen === undefined) {
        // Nothing chosen: then no offered mechanism was acceptable, e.g. any offered SCRAM or CRAM-MD5 would have been.
        const ranking = 'password' in credentials ? passwordMechanismRanking : tokenMechanismRanking;
        const usable = ranking.filter((m) => !mechanismSendsSecretInClear(m) && !mechanismNeedsChannelBinding(m));
        expect(names.some((n) => (usable as readonly string[]).includes(n.toUpperCase()))).toBe(false);
        return;
      }
      expect(names.map((n) => n.toUpperCase())).toContain(chosen);
      if (!p.secure && p.allowPlaintextOnInsecure !== true) expect(mechanismSendsSecretInClear(chosen)).toBe(false);
      if (p.channelBinding !== true) expect(mechanismNeedsChannelBinding(chosen)).toBe(false);
      expect(('password' in credentials ? passwordMechanismRanking : tokenMechanismRanking)).toContain(chosen);
    }),
    { numRuns: 500 },
  );
});
