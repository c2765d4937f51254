import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createServerMechanism, SaslError, supportedMechanisms, type SaslCredentials } from '@sysmail/sasl';
import { makePair, serverContext, TOKEN_MECHANISMS } from './mechanism-setup.js';

const PASSWORD = 'Pw-s3cr3t-\u00e9\u65e5';
const TOKEN = 'ya29.T0k3n-s3cr3t';

function credentialsFor(mechanism: string): SaslCredentials {
  return TOKEN_MECHANISMS.includes(mechanism) ? { username: 'alice', accessToken: TOKEN } : { username: 'alice', password: PASSWORD };
}

/** Pieces that reach deeper into the parsers than random bytes do. */
const fragments = fc.constantFrom(...['"', '\\', ',', '=', ',,', 'rspauth=', 'v=', 'e=', 'r=', 's=', 'i=', 'm=', 'nonce=', 'realm=', 'qop=', 'algorithm=md5-sess', '\x01', '{', '}', '[]', 'null', '\xff', '\xc3']);

/** A real challenge with a random splice, or random bytes. */
function challengeFrom(real: Uint8Array | undefined): fc.Arbitrary<Uint8Array> {
  const splice = fc
    .record({ at: fc.nat(), remove: fc.nat({ max: 8 }), insert: fc.oneof(fc.uint8Array({ maxLength: 8 }), fragments.map((f) => new Uint8Array(Buffer.from(f, 'latin1')))) })
    .map(({ at, remove, insert }) => {
      const base = real ?? new Uint8Array(0);
      const i = base.length === 0 ? 0 : at % (base.length + 1);
      return new Uint8Array([...base.subarray(0, i), ...insert, ...base.subarray(i + remove)]);
    });
  return fc.oneof(fc.uint8Array({ maxLength: 64 }), splice, fc.constant(real ?? new Uint8Array(0)));
}

/** The messages and fields a SaslError exposes must not carry any credential or derived hash. */
function expectNoSecret(error: SaslError): void {
  const exposed = `${error.message} ${JSON.stringify(error)} ${String(error)}`;
  for (const secret of [PASSWORD, TOKEN, 'alice']) expect(exposed).not.toContain(secret);
  expect(exposed).not.toMatch(/[0-9a-f]{32}/);
}

describe.each(supportedMechanisms)('%s client', (mechanism) => {
  test('any bytes as a challenge, at any step, yield a response or a SaslError', () => {
    fc.assert(
      fc.property(fc.nat({ max: 3 }), fc.boolean(), fc.gen(), (rounds, useInitialResponse, generate) => {
        const { client, server } = makePair(mechanism, credentialsFor(mechanism), { password: PASSWORD, token: TOKEN });
        let step = server.step(useInitialResponse ? client.initialResponse() : null);
        for (let i = 0; i < rounds && step.type === 'challenge'; i++) step = server.step(client.respond(step.challenge));
        const real = step.type === 'challenge' ? step.challenge : step.type === 'success' ? step.finalData : undefined;
        const challenge = generate(challengeFrom, real);
        try {
          expect(client.respond(challenge)).toBeInstanceOf(Uint8Array);
        } catch (error) {
          expect(error).toBeInstanceOf(SaslError);
          expectNoSecret(error as SaslError);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe.each(supportedMechanisms)('%s server', (mechanism) => {
  test('any client bytes, at any step, yield a step and never an exception or a secret', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.uint8Array({ maxLength: 64 }), { nil: null }), { minLength: 1, maxLength: 4 }), (messages) => {
        const server = createServerMechanism(mechanism, { lookupPassword: () => PASSWORD, verifyToken: () => false }, serverContext(mechanism));
        for (const message of messages) {
          const step = server.step(message);
          expect(['challenge', 'success', 'failure']).toContain(step.type);
          if (step.type === 'failure') expect(step.reason).not.toContain(PASSWORD);
        }
      }),
      { numRuns: 100 },
    );
  });
});

test('failures after a wrong password never echo either password', () => {
  for (const mechanism of supportedMechanisms.filter((m) => !TOKEN_MECHANISMS.includes(m) && m !== 'EXTERNAL' && m !== 'ANONYMOUS')) {
    const { client, server } = makePair(mechanism, { username: 'alice', password: 'Wrong-Pw-1' }, { password: PASSWORD });
    let step = server.step(client.initialResponse());
    while (step.type === 'challenge') step = server.step(client.respond(step.challenge));
    expect(step.type).toBe('failure');
    if (step.type === 'failure') {
      expect(step.reason).not.toContain('Wrong-Pw-1');
      expect(step.reason).not.toContain(PASSWORD);
    }
  }
});
