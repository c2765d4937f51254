import fc from 'fast-check';
import { expect, test } from 'vitest';
import { parseDigestDirectives, quoteDigestValue } from '../src/digest-challenge-parser.js';

const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!#$%&\'*+^`|~'.split(''));
const token = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 });
/** Values are byte strings (U+0000..U+00FF), with plenty of quotes and backslashes. */
const value = fc.string({ unit: fc.oneof(fc.constantFrom('"', '\\', ',', '=', ' '), fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c))), maxLength: 16 });
const space = fc.constantFrom('', ' ', '\t', '  ', '\r\n ');

test('property: generated challenges with escaped quoted strings round-trip', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ name: token, value: fc.oneof(value, token), quote: fc.boolean(), before: space, after: space, empties: fc.nat({ max: 2 }) }), { maxLength: 8 }),
      (directives) => {
        const text = directives
          .map((d) => {
            const bareOk = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(d.value);
            const v = d.quote || !bareOk ? quoteDigestValue(d.value) : d.value;
            return `${','.repeat(d.empties)}${d.before}${d.name}${d.after}=${d.before}${v}${d.after}`;
          })
          .join(',');
        expect(parseDigestDirectives(text)).toEqual(directives.map((d) => ({ name: d.name.toLowerCase(), value: d.value })));
      },
    ),
    { numRuns: 500 },
  );
});

test('escapes are removed and malformed lists refused', () => {
  expect(parseDigestDirectives('realm="a\\"b\\\\c",Nonce=x, ,qop="auth,auth-int"')).toEqual([
    { name: 'realm', value: 'a"b\\c' },
    { name: 'nonce', value: 'x' },
    { name: 'qop', value: 'auth,auth-int' },
  ]);
  for (const bad of ['realm="open', 'realm', 'realm=', '=x', 'a=b c=d', 'a="x\\', 'a=b;c']) expect(parseDigestDirectives(bad)).toBeUndefined();
});
