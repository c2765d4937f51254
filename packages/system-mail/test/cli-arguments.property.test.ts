import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { flagList, flagValue, parseArguments, refuseSecretFlags, type FlagSpec } from '../src/cli/cli-arguments.js';
import { CliUsageError } from '../src/cli/cli-usage-error.js';

const spec: FlagSpec = { host: 'string', tls: 'boolean', to: 'list' };
const word = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.startsWith('-'));

describe('command-line parsing', () => {
  test.prop([fc.array(fc.oneof(fc.string(), fc.constantFrom('--host', '--tls', '--no-tls', '--to', '--', '--x=1', '-')), { maxLength: 12 })])(
    'never throws anything but a usage error, whatever the arguments',
    (argv) => {
      try {
        parseArguments(argv, spec);
      } catch (error) {
        expect(error).toBeInstanceOf(CliUsageError);
      }
    },
  );

  test.prop([fc.array(word, { maxLength: 5 }), word, fc.array(word, { minLength: 1, maxLength: 4 })])(
    'round-trips positionals, a string flag in both spellings, and repeated list flags',
    (positionals, host, recipients) => {
      for (const hostArgs of [['--host', host], [`--host=${host}`]]) {
        const argv = [...positionals, ...hostArgs, ...recipients.flatMap((r) => ['--to', r]), '--tls'];
        const parsed = parseArguments(argv, spec);
        expect(parsed.positionals).toEqual(positionals);
        expect(flagValue(parsed, 'host')).toBe(host);
        expect(flagValue(parsed, 'tls')).toBe('1');
        expect(flagList(parsed, 'to')).toEqual(recipients.flatMap((r) => r.split(',')).map((r) => r.trim()).filter((r) => r !== ''));
      }
    },
  );

  test.prop([fc.constantFrom('password', 'smtp-password', 'POP-PASSWORD', 'client-secret', 'secret', 'token', 'access-token', 'passwd'), fc.option(fc.string())])(
    'refuses every flag that would carry a secret, without echoing its value',
    (name, value) => {
      const arg = value === null ? `--${name}` : `--${name}=${value}`;
      let thrown: unknown;
      try {
        refuseSecretFlags(['set', arg]);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(CliUsageError);
      if (value !== null && value.length > 3) expect((thrown as CliUsageError).message).not.toContain(`=${value}`);
    },
  );

  test.prop([fc.constantFrom('token-endpoint', 'smtp-host', 'pop-account', 'client-id')])('lets ordinary flags through', (name) => {
    expect(() => refuseSecretFlags([`--${name}`, 'x'])).not.toThrow();
  });
});
