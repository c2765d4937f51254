/**
 * Secret hygiene for the whole `npm test` suite (vitest `setupFiles`): every test runs with
 * its transcripts, console output, errors and settings views captured, and fails when any
 * secret the fake servers were configured with, issued or received appears in them.
 *
 * - Secrets: the fake servers call `registerTestSecret` (test-servers/src/test-secrets.ts)
 *   for every password, token and client secret they are configured with or issue, and for
 *   what a client proves with them (PASS arguments, APOP digests, SASL responses with the
 *   CRAM-MD5 digest, DIGEST-MD5 response, SCRAM proof, PLAIN/XOAUTH2 payloads, base64 forms).
 *   The sink installed here keeps them for the whole test file, since servers often start in
 *   `beforeAll`. Secrets in settings passed to `describeSettings` are registered too.
 * - Transcripts: `Transcript.prototype.enabled` answers true to product code, so every
 *   client builds its transcript even when the test passes no `onTranscript`, and
 *   `client`/`server`/`info` record the scrubbed text a listener would receive.
 * - Errors: the project's five error bases (`WireError`, `SaslError`, `SmtpError`,
 *   `Pop3Error`, `SystemMailError`) all set `this.name` in their constructors; an accessor
 *   for `name` on each base prototype observes that assignment, so every instance of every
 *   subclass is recorded when it is constructed — thrown, rejected, stored or swallowed —
 *   and rendered as text once its constructor has finished.
 *   Each is checked through its message, its cause chain (recursively), `util.inspect` and
 *   `JSON.stringify`.
 * - Console: `console.*`, `process.stdout`/`process.stderr` writes, and what `runCli` writes
 *   to the streams a test injects (its environment's PASSWORD/SECRET variables are registered).
 * - Settings views: `describeSettings` (which the store's details view also uses) and
 *   `settingsToForm` (the edit form, which must not be pre-filled with a password) are
 *   wrapped and their results checked as `JSON.stringify`.
 *
 * The check runs in `afterEach` (and `afterAll`, for what hooks produced) and names the kind
 * of secret and where it appeared, never the secret itself.
 */
import { format } from 'node:util';
import { afterAll, afterEach, vi } from 'vitest';
// The defining modules, not the packages' entry points: this file runs before every test
// file, and loading whole clients there for a parser's unit test would cost a second each.
// A module is loaded once per test file, so these are the very classes the tests use.
import { Pop3Error } from '../../../packages/pop3-client/src/errors.js';
import { SaslError } from '../../../packages/sasl/src/sasl-error.js';
import { SmtpError } from '../../../packages/smtp-client/src/smtp-error.js';
import { SystemMailError } from '../../../packages/system-mail/src/errors.js';
import { Transcript } from '../../../packages/wire/src/transcript.js';
import { WireError } from '../../../packages/wire/src/wire-error.js';
import { installTestSecretSink, type SecretCaptureSource } from '../../src/test-secrets.js';
import { describeSecretLeaks, findSecretLeaks, renderError, type Capture, type SecretLeak } from './secret-leaks.js';

const secrets = new Map<string, string>();
let captures: Capture[] = [];
const capturedErrors = new WeakSet<Error>();
const skipped = new Set<SecretCaptureSource>();

installTestSecretSink({
  register(kind, value) {
    if (!secrets.has(value)) secrets.set(value, kind);
  },
  allow(source, reason) {
    if (reason.trim() === '') throw new Error(`allowSecretIn('${source}') needs the reason the secret is allowed there.`);
    skipped.add(source);
  },
});

function capture(entry: Capture): void {
  captures.push(entry);
}

function captureError(error: Error): void {
  if (capturedErrors.has(error)) return;
  capturedErrors.add(error);
  // Rendered once the constructor has finished (the name is set half-way through it), and
  // kept only as text, so that capturing never keeps a client or socket alive: the load test
  // checks that clients are garbage-collected.
  queueMicrotask(() => capture({ source: 'error', where: error.name, renderings: renderError(error) }));
}

for (const base of [WireError, SaslError, SmtpError, Pop3Error, SystemMailError]) {
  Object.defineProperty(base.prototype, 'name', {
    configurable: true,
    get(): string {
      return Error.prototype.name;
    },
    set(this: Error, value: string) {
      // Same shape as the plain assignment would have made: an own, enumerable data property.
      Object.defineProperty(this, 'name', { value, writable: true, enumerable: true, configurable: true });
      captureError(this);
    },
  });
}

/** A stack frame in a test directory of the suite (packages/<name>/test, test-servers/test). */
const TEST_CODE = /[\\/](?:packages[\\/][^\\/]+|test-servers)[\\/]test[\\/]/;
const enabledGetter = Object.getOwnPropertyDescriptor(Transcript.prototype, 'enabled')?.get;
Object.defineProperty(Transcript.prototype, 'enabled', {
  configurable: true,
  get: function enabled(this: Transcript): boolean {
    // Product code is told yes, so it builds every line; test code asking about a transcript
    // (the wire tests check that one without a listener is off) gets the real answer.
    const caller: { stack?: string } = {};
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 1;
    Error.captureStackTrace(caller, enabled);
    Error.stackTraceLimit = limit;
    return !TEST_CODE.test(caller.stack ?? '') || enabledGetter?.call(this) === true;
  },
});
for (const direction of ['client', 'server'] as const) {
  const original = Transcript.prototype[direction];
  Transcript.prototype[direction] = function (this: Transcript, text: string, redacted?: string): void {
    capture({ source: 'transcript', where: `transcript ${direction} line`, text: this.scrub(redacted ?? text) });
    original.call(this, text, redacted);
  };
}
const originalInfo = Transcript.prototype.info;
Transcript.prototype.info = function (this: Transcript, text: string): void {
  capture({ source: 'transcript', where: 'transcript info line', text: this.scrub(text) });
  originalInfo.call(this, text);
};

for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
  const original = console[method];
  console[method] = (...args: unknown[]): void => {
    capture({ source: 'console', where: `console.${method}`, text: format(...args) });
    original.apply(console, args);
  };
}
for (const name of ['stdout', 'stderr'] as const) {
  const stream = process[name];
  const original = stream.write;
  stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    const text = typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : '';
    capture({ source: 'console', where: `process.${name}.write`, text });
    return (original as (this: NodeJS.WriteStream, ...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof stream.write;
}

const SECRET_FIELD = /(password|secret|token)$/i;

/** Registers every secret-named string field of settings, registries and token state. */
function registerSecretsIn(value: unknown, kind: string, depth = 0): void {
  if (depth > 8 || typeof value !== 'object' || value === null) return;
  for (const [key, field] of Object.entries(value)) {
    if (typeof field === 'string' && SECRET_FIELD.test(key)) {
      if (field !== '' && !secrets.has(field)) secrets.set(field, `${kind} ${key}`);
    } else registerSecretsIn(field, kind, depth + 1);
  }
}

vi.mock('../../../packages/system-mail/src/describe-settings.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../packages/system-mail/src/describe-settings.js')>();
  return {
    ...original,
    describeSettings(...args: Parameters<typeof original.describeSettings>) {
      registerSecretsIn(args, 'settings');
      const view = original.describeSettings(...args);
      capture({ source: 'settings-view', where: 'describeSettings result', text: JSON.stringify(view) });
      return view;
    },
  };
});

/**
 * Checks everything captured since the last check against every registered secret, and
 * starts a new capture. The hygiene hooks call it after each test; the hygiene check's own
 * test calls it directly, to see that a planted leak is caught.
 *
 * @returns the leaks found
 */
export function takeSecretLeaks(): SecretLeak[] {
  const found = findSecretLeaks(secrets, captures, skipped);
  captures = [];
  skipped.clear();
  return found;
}

/**
 * The kinds of secret registered so far in this test file.
 *
 * @returns each kind once
 */
export function registeredSecretKinds(): Set<string> {
  return new Set(secrets.values());
}

vi.mock('../../../packages/system-mail/src/settings-form.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../packages/system-mail/src/settings-form.js')>();
  return {
    ...original,
    settingsToForm(...args: Parameters<typeof original.settingsToForm>) {
      registerSecretsIn(args, 'settings');
      const form = original.settingsToForm(...args);
      capture({ source: 'settings-view', where: 'settingsToForm result', text: JSON.stringify(form) });
      return form;
    },
  };
});

const CLI_SECRET_VARIABLE = /PASSWORD|SECRET/;

vi.mock('../../../packages/system-mail/src/cli/run-cli.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../packages/system-mail/src/cli/run-cli.js')>();
  return {
    ...original,
    runCli(io: Parameters<typeof original.runCli>[0]) {
      for (const [name, value] of Object.entries(io.env)) {
        if (CLI_SECRET_VARIABLE.test(name) && value !== undefined && value !== '' && !secrets.has(value)) secrets.set(value, `CLI ${name}`);
      }
      const captured = (writer: typeof io.stdout, where: string): typeof io.stdout => ({
        write(text: string) {
          capture({ source: 'console', where, text });
          return writer.write(text);
        },
      });
      return original.runCli({ ...io, stdout: captured(io.stdout, 'CLI stdout'), stderr: captured(io.stderr, 'CLI stderr') });
    },
  };
});

function check(): void {
  const found = takeSecretLeaks();
  if (found.length > 0) throw new Error(describeSecretLeaks(found));
}

afterEach(check);
afterAll(check);
