import { expect, test } from 'vitest';
import { resolveTimeouts } from '@sysmail/wire';

const defaults = { connect: 30_000, greeting: 30_000, command: 60_000 } as const;

test('one number sets every phase; a map overrides only what it names', () => {
  expect(resolveTimeouts(5000, defaults)).toEqual({ connect: 5000, greeting: 5000, command: 5000 });
  expect(resolveTimeouts({ greeting: 1000 }, defaults)).toEqual({ connect: 30_000, greeting: 1000, command: 60_000 });
  expect(resolveTimeouts(undefined, defaults)).toEqual(defaults);
});

test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s as a deadline', (value) => {
  expect(() => resolveTimeouts(value, defaults)).toThrow(RangeError);
  expect(() => resolveTimeouts({ command: value }, defaults)).toThrow(/timeouts\.command/);
});
