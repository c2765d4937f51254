import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { supportedMechanisms } from '@sysmail/sasl';
import { runExchange } from './exchange-driver.js';
import { b64token, canCarry, makePair, prepared, serverUsername, TOKEN_MECHANISMS, unicode } from './mechanism-setup.js';

const PASSWORD_MECHANISMS = supportedMechanisms.filter((m) => !TOKEN_MECHANISMS.includes(m) && m !== 'EXTERNAL' && m !== 'ANONYMOUS');

/** Whether two passwords differ in what the mechanism actually compares. */
function reallyDiffer(mechanism: string, a: string, b: string): boolean {
  if (mechanism.startsWith('SCRAM')) return prepared(a) !== prepared(b);
  // DIGEST-MD5 hashes ISO-8859-1 when possible, else UTF-8: two strings may share those bytes.
  const digestBytes = (s: string) => (/^[\0-\xff]*$/.test(s) ? Buffer.from(s, 'latin1') : Buffer.from(s, 'utf8'));
  if (mechanism === 'DIGEST-MD5') return !digestBytes(a).equals(digestBytes(b));
  return a !== b;
}

describe.each(PASSWORD_MECHANISMS)('%s client against its server half', (mechanism) => {
  test('succeeds with the right password, fails with a wrong one, for arbitrary Unicode', () => {
    fc.assert(
      fc.property(unicode(1), unicode(), unicode(), fc.boolean(), (username, password, wrong, useInitialResponse) => {
        fc.pre(canCarry(mechanism, username, password) && canCarry(mechanism, username, wrong) && reallyDiffer(mechanism, password, wrong));
        const good = makePair(mechanism, { username, password }, { password });
        expect(runExchange(good.client, good.server, useInitialResponse)).toEqual({ kind: 'success', identity: serverUsername(mechanism, username) });
        const bad = makePair(mechanism, { username, password: wrong }, { password });
        expect(runExchange(bad.client, bad.server, useInitialResponse).kind).toBe('failure');
      }),
      { numRuns: 60 },
    );
  });
});

describe.each(TOKEN_MECHANISMS)('%s client against its server half', (mechanism) => {
  const username = unicode(1).filter((u) => !/[\0-\x1f\x7f]/.test(u));

  test('succeeds with the right token; a wrong one gets the error round, serverError and a failure', () => {
    fc.assert(
      fc.property(username, b64token, b64token, fc.boolean(), (user, token, wrong, useInitialResponse) => {
        fc.pre(token !== wrong);
        const good = makePair(mechanism, { username: user, accessToken: token }, { token });
        expect(runExchange(good.client, good.server, useInitialResponse)).toEqual({ kind: 'success', identity: user });
        const bad = makePair(mechanism, { username: user, accessToken: wrong }, { token });
        expect(runExchange(bad.client, bad.server, useInitialResponse).kind).toBe('failure');
        expect(bad.client.serverError).toHaveProperty('status');
        expect(bad.client.complete).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});

test('EXTERNAL: the external identity, when the requested authzid is empty or the same', () => {
  fc.assert(
    fc.property(unicode().filter((s) => !s.includes('\0')), fc.boolean(), (authzid, useInitialResponse) => {
      const { client, server } = makePair('EXTERNAL', { username: 'ignored', password: '', authzid }, {});
      const outcome = runExchange(client, server, useInitialResponse);
      if (authzid === '' || authzid === 'cn=sysmail') expect(outcome).toEqual({ kind: 'success', identity: 'cn=sysmail' });
      else expect(outcome.kind).toBe('failure');
    }),
  );
});

test('ANONYMOUS: any trace up to 255 characters', () => {
  fc.assert(
    fc.property(unicode().filter((s) => !s.includes('\0')), fc.boolean(), (trace, useInitialResponse) => {
      const { client, server } = makePair('ANONYMOUS', { username: trace, accessToken: 'x' }, {});
      expect(runExchange(client, server, useInitialResponse)).toEqual({ kind: 'success', identity: 'anonymous' });
    }),
  );
});
