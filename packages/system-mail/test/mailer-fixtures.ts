// Shared set-up of the mailer and CLI tests: a temporary store, fake servers
// on loopback, and cleanups run after each test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { expect } from 'vitest';
import {
  startFakePop3Server,
  startFakeSmtpServer,
  tlsFixtures,
  type FakePop3Server,
  type FakePop3ServerOptions,
  type FakeSmtpServer,
  type FakeSmtpServerOptions,
} from '@sysmail/test-servers';
import { openSettingsStore, type SettingsStore } from '../src/settings-store.js';
import { splitMessage, header, decodeUnstructured, decodeBody } from '../scripts/mime-decoder.js';

export const KEY = Buffer.alloc(32, 7).toString('base64');
export const ADDRESS = 'notify@example.com';
export const SMTP_USER = 'sysmail';
export const SMTP_PASSWORD = 'smtp-secret-PASSWORD-123';
export const POP_USER = 'popper';
export const POP_PASSWORD = 'pop-secret-PASSWORD-456';
export const TLS = { ca: tlsFixtures.ca };

const cleanups: (() => Promise<unknown>)[] = [];

/** Runs and forgets every cleanup registered since the last call (afterEach). */
export async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

/** Registers a cleanup for the end of the current test. */
export function onCleanup(cleanup: () => Promise<unknown>): void {
  cleanups.push(cleanup);
}

/** A store in a fresh temporary directory, removed after the test. */
export async function tempStore(): Promise<{ store: SettingsStore; path: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'sysmail-mailer-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'system-mail.json');
  return { store: await openSettingsStore({ path, key: KEY }), path, dir };
}

/** A fake SMTP server closed after the test. */
export async function smtpServer(options: FakeSmtpServerOptions = {}): Promise<FakeSmtpServer> {
  const server = await startFakeSmtpServer(options);
  onCleanup(() => server.close());
  return server;
}

/** A fake POP3 server closed after the test. */
export async function popServer(options: FakePop3ServerOptions = {}): Promise<FakePop3Server> {
  const server = await startFakePop3Server({ users: { [POP_USER]: POP_PASSWORD }, ...options });
  onCleanup(() => server.close());
  return server;
}

/**
 * The POP-before-SMTP pair: the SMTP server refuses relay unless the client
 * address logged in to POP3 within the last `windowSeconds`.
 */
export async function popBeforeSmtpServers(
  pop: FakePop3ServerOptions = {},
  windowSeconds = 30,
): Promise<{ smtp: FakeSmtpServer; pop: FakePop3Server }> {
  const loggedInAt = new Map<string, number>();
  const popServerStarted = await popServer({ ...pop, onLogin: (login) => loggedInAt.set(login.remoteAddress, login.at) });
  const smtp = await smtpServer({
    relayPolicy: (session) => {
      const at = loggedInAt.get(session.remoteAddress);
      return at !== undefined && Date.now() - at <= windowSeconds * 1000 ? true : '554 5.7.1 Relay access denied: log in to POP3 first';
    },
  });
  return { smtp, pop: popServerStarted };
}

/** Saves settings and fails the test when they are refused. */
export async function save(store: SettingsStore, settings: unknown): Promise<void> {
  const result = await store.saveSettings(settings);
  if (!result.ok) throw new Error(`settings refused: ${JSON.stringify(result.issues.map((i) => [i.path, i.code]))}`);
}

/** Dedicated-server settings for a server on loopback. */
export function dedicated(port: number, smtp: Record<string, unknown> = {}, auth: unknown = { method: 'none' }): unknown {
  return {
    use: true,
    address: ADDRESS,
    displayName: 'sysmail 通知',
    server: {
      type: 'dedicated',
      oauth: { enabled: false },
      smtp: { host: '127.0.0.1', port, encryption: 'none', timeoutSeconds: 10, ...smtp },
      auth,
    },
  };
}

/** The message as the server received it, decoded: subject, single-part body and headers. */
export function decoded(content: Uint8Array): { subject: string; text: string; from: string; headers: Map<string, string> } {
  const parsed = splitMessage(Buffer.from(content).toString('latin1'));
  return {
    subject: decodeUnstructured(header(parsed, 'Subject') ?? ''),
    // A multipart message has no encoding of its own: its parts are left as they are.
    text: header(parsed, 'Content-Transfer-Encoding') === undefined ? parsed.body : decodeBody(header(parsed, 'Content-Transfer-Encoding'), parsed.body),
    from: decodeUnstructured(header(parsed, 'From') ?? ''),
    headers: new Map(parsed.headers.map(([n, v]) => [n.toLowerCase(), v])),
  };
}

/** Settles a promise that must fail and returns its error. */
export async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

/** Fails when any secret appears in the value, however it is printed. */
export function expectNoSecret(value: unknown, secrets: readonly string[]): void {
  const texts = [inspect(value, { depth: 10, showHidden: true }), JSON.stringify(value) ?? ''];
  if (value instanceof Error) texts.push(value.message, String(value.stack), inspect(value.cause, { depth: 10, showHidden: true }));
  for (const secret of secrets) for (const text of texts) expect(text).not.toContain(secret);
}

export const PHONE_MEMO = {
  to: 'yamada@example.org',
  subject: '電話メモ: 山田様よりお電話がありました',
  text: '山田様（株式会社サンプル）より 14:05 にお電話がありました。\n折り返しお願いします。',
  category: 'phone-memo',
} as const;
