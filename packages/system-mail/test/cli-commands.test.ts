import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOAuthServer } from '@sysmail/test-servers';
import { runCli } from '../src/cli/run-cli.js';
import type { CliIo } from '../src/cli/cli-context.js';
import { openSettingsStore } from '../src/settings-store.js';
import {
  ADDRESS,
  KEY,
  POP_PASSWORD,
  POP_USER,
  SMTP_PASSWORD,
  SMTP_USER,
  TLS,
  cleanUp,
  decoded,
  onCleanup,
  popBeforeSmtpServers,
  smtpServer,
  tempStore,
} from './mailer-fixtures.js';

afterEach(cleanUp);

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in-process against a store file, capturing its output. */
async function cli(path: string, argv: string[], extra: Partial<CliIo> & { env?: Record<string, string> } = {}): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli({
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    mailer: { tls: TLS },
    ...extra,
    argv: ['--store', path, ...argv],
    env: { SYSMAIL_SECRET_KEY: KEY, LANG: 'en_US.UTF-8', ...extra.env },
  });
  return { code, out, err };
}

const smtpAuthFlags = (port: number): string[] => [
  '--address', ADDRESS,
  '--smtp-host', '127.0.0.1',
  '--smtp-port', String(port),
  '--encryption', 'starttls',
  '--timeout', '20',
  '--smtp-auth-mechanism', 'CRAM-MD5',
  '--smtp-account', SMTP_USER,
];

describe('system-mail set / show / validate', () => {
  it('saves settings from flags with the password from the environment, and shows them without it', async () => {
    const { path } = await tempStore();
    const set = await cli(path, ['set', ...smtpAuthFlags(2525)], { env: { SYSMAIL_SMTP_PASSWORD: SMTP_PASSWORD } });
    expect(set).toMatchObject({ code: 0, err: '' });
    expect(set.out).toContain('saved');
    const show = await cli(path, ['--lang', 'ja', 'show']);
    expect(show.code).toBe(0);
    expect(show.out).toContain('システムメールアカウントの詳細');
    expect(show.out).toMatch(/送信メールサーバーポート番号\s+2525/);
    expect(show.out).toMatch(/SMTP認証方式\s+CRAM-MD5/);
    expect(show.out).toMatch(/送信用パスワード\s+設定済み/);
    expect(show.out + show.err).not.toContain(SMTP_PASSWORD);
    const json = await cli(path, ['show', '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ oauth: { status: 'not-applicable' } });
    expect(json.out).not.toContain(SMTP_PASSWORD);
  });

  it('keeps the stored password when other fields change, and switches SMTP AUTH off when POP before SMTP is chosen', async () => {
    const { path } = await tempStore();
    await cli(path, ['set', ...smtpAuthFlags(2525)], { env: { SYSMAIL_SMTP_PASSWORD: SMTP_PASSWORD } });
    expect((await cli(path, ['set', '--smtp-port', '587'])).code).toBe(0);
    const store = await openSettingsStore({ path, key: KEY });
    const settings = await store.getSettings();
    expect(settings?.server).toMatchObject({ smtp: { port: 587 }, auth: { method: 'smtp-auth', password: SMTP_PASSWORD } });
    const pop = await cli(path, ['set', '--pop-before-smtp', '--pop-host', '127.0.0.1', '--pop-account', POP_USER, '--pop-wait', '2'], {
      env: { SYSMAIL_POP_PASSWORD: POP_PASSWORD },
    });
    expect(pop.code).toBe(0);
    // Without TLS or APOP the POP password crosses the network in clear: saved, with a warning.
    expect(pop.err).toContain('warning server.auth.pop.password:');
    await store.reload();
    expect((await store.getSettings())?.server).toMatchObject({ auth: { method: 'pop-before-smtp', waitSeconds: 2, pop: { port: 110 } } });
  });

  it('prints validation issues with their field paths in the chosen language and exits 1', async () => {
    const { path } = await tempStore();
    const run = await cli(path, ['--lang', 'ja', 'set', '--address', ADDRESS, '--smtp-host', '127.0.0.1', '--smtp-port', '２５', '--timeout', '15']);
    expect(run.code).toBe(1);
    expect(run.err).toContain('エラー server.smtp.port:');
    expect(run.err).toContain('半角');
    expect(run.err).toContain('エラー server.smtp.timeoutSeconds:');
    expect(await (await openSettingsStore({ path, key: KEY })).getSettings()).toBeUndefined();
  });

  it('reports a missing password without a terminal, and asks for it without echo on one', async () => {
    const { path } = await tempStore();
    const missing = await cli(path, ['set', ...smtpAuthFlags(2525)]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('error server.auth.password:');

    const stdin = Object.assign(new PassThrough(), { isTTY: true, rawModes: [] as boolean[] });
    const tty = Object.assign(stdin, { setRawMode: (mode: boolean) => stdin.rawModes.push(mode) });
    setTimeout(() => tty.write(`${SMTP_PASSWORD}\r`), 10);
    const prompted = await cli(path, ['set', ...smtpAuthFlags(2525)], { stdin: tty });
    expect(prompted.code).toBe(0);
    expect(prompted.err).toContain('(not echoed)');
    expect(prompted.err + prompted.out).not.toContain(SMTP_PASSWORD);
    expect(stdin.rawModes).toEqual([true, false]);
    const store = await openSettingsStore({ path, key: KEY });
    expect((await store.getSettings())?.server).toMatchObject({ auth: { password: SMTP_PASSWORD } });
  });

  it('saves and validates JSON files', async () => {
    const { path, dir } = await tempStore();
    const file = join(dir, 'settings.json');
    const settings = {
      use: true,
      address: ADDRESS,
      server: { type: 'dedicated', oauth: { enabled: false }, smtp: { host: '127.0.0.1', port: 25 }, auth: { method: 'none' } },
    };
    await writeFile(file, JSON.stringify(settings));
    expect((await cli(path, ['validate', '--file', file])).code).toBe(0);
    expect((await cli(path, ['set', '--file', file])).code).toBe(0);
    const valid = await cli(path, ['validate', '--json']);
    expect(JSON.parse(valid.out)).toEqual({ ok: true, warnings: [] });
    await writeFile(file, JSON.stringify({ ...settings, address: 'not-an-address' }));
    const invalid = await cli(path, ['validate', '--file', file, '--json']);
    expect(invalid.code).toBe(1);
    expect(JSON.parse(invalid.out).issues.map((i: { path: string }) => i.path)).toEqual(['address']);
    await writeFile(file, '{ not json');
    expect((await cli(path, ['set', '--file', file])).code).toBe(2);
  });

  it('exits 1 for show and validate before anything is set up', async () => {
    const { path } = await tempStore();
    expect(await cli(path, ['show'])).toMatchObject({ code: 1 });
    expect((await cli(path, ['validate'])).err).toContain('not been set up');
  });
});

describe('system-mail test / send', () => {
  it('tests the connection, printing the redacted transcript', async () => {
    const smtp = await smtpServer({ starttls: true, auth: { mechanisms: ['CRAM-MD5'], users: { [SMTP_USER]: SMTP_PASSWORD } } });
    const { path } = await tempStore();
    await cli(path, ['set', ...smtpAuthFlags(smtp.port)], { env: { SYSMAIL_SMTP_PASSWORD: SMTP_PASSWORD } });
    const run = await cli(path, ['test']);
    expect(run.code).toBe(0);
    expect(run.out).toContain('[smtp] C: STARTTLS');
    expect(run.out).toContain('[smtp] C: AUTH CRAM-MD5');
    expect(run.out).toContain('The connection test succeeded.');
    expect(run.out + run.err).not.toContain(SMTP_PASSWORD);
    expect(smtp.messages).toHaveLength(0);
  });

  it('trusts a private CA given with --ca for test and send, which fail without it', async () => {
    const smtp = await smtpServer({ starttls: true, auth: { mechanisms: ['CRAM-MD5'], users: { [SMTP_USER]: SMTP_PASSWORD } } });
    const { path, dir } = await tempStore();
    const caFile = join(dir, 'private-ca.pem');
    await writeFile(caFile, TLS.ca);
    await cli(path, ['set', ...smtpAuthFlags(smtp.port)], { env: { SYSMAIL_SMTP_PASSWORD: SMTP_PASSWORD } });
    // No CA injected by the embedding code: only --ca can make the test CA trusted.
    const withoutCa = await cli(path, ['test'], { mailer: {} });
    expect(withoutCa.code).toBe(3);
    expect(withoutCa.err).toContain('TLS');
    const tested = await cli(path, ['test', '--ca', caFile], { mailer: {} });
    expect(tested.code).toBe(0);
    expect(tested.out).toContain('The connection test succeeded.');
    const sent = await cli(path, ['send', '--ca', caFile, '--to', 'tanaka@example.org', '--subject', '電話メモ', '--text', '折り返しお願いします。'], { mailer: {} });
    expect(sent.code).toBe(0);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.sessions.at(-1)?.secure).toBe(true);
  });

  it('exits 2 for a --ca file that is missing or holds no certificate, and for --ca on a command that connects nowhere', async () => {
    const { path, dir } = await tempStore();
    const notPem = join(dir, 'not-a-cert.txt');
    await writeFile(notPem, 'hello');
    await cli(path, ['set', '--address', ADDRESS, '--smtp-host', '127.0.0.1']);
    expect((await cli(path, ['test', '--ca', join(dir, 'missing.pem')])).code).toBe(2);
    const bad = await cli(path, ['test', '--ca', notPem]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('PEM');
    expect((await cli(path, ['show', '--ca', notPem])).code).toBe(2);
  });

  it('exits 3 when the connection test fails', async () => {
    const smtp = await smtpServer({ starttls: false });
    const { path } = await tempStore();
    await cli(path, ['set', '--address', ADDRESS, '--smtp-host', '127.0.0.1', '--smtp-port', String(smtp.port), '--encryption', 'starttls']);
    const run = await cli(path, ['--lang', 'ja', 'test']);
    expect(run.code).toBe(3);
    expect(run.err).toContain('STARTTLSに対応していません');
  });

  it('sends a notification through POP before SMTP and prints the result', async () => {
    const { smtp, pop } = await popBeforeSmtpServers({ apop: true });
    const { path, dir } = await tempStore();
    const set = await cli(
      path,
      ['set', '--address', ADDRESS, '--smtp-host', '127.0.0.1', '--smtp-port', String(smtp.port), '--pop-before-smtp', '--pop-host', '127.0.0.1'],
      { env: { SYSMAIL_POP_PASSWORD: POP_PASSWORD } },
    );
    expect(set.code).toBe(1);
    expect(set.err).toContain('server.auth.pop.account');
    const popFlags = ['--pop-port', String(pop.port), '--pop-account', POP_USER, '--pop-apop', '--pop-wait', '1'];
    expect((await cli(path, ['set', '--smtp-host', '127.0.0.1', '--pop-before-smtp', '--pop-host', '127.0.0.1', ...popFlags, '--address', ADDRESS, '--smtp-port', String(smtp.port)], { env: { SYSMAIL_POP_PASSWORD: POP_PASSWORD } })).code).toBe(0);
    const html = join(dir, 'memo.html');
    await writeFile(html, '<p>山田様よりお電話がありました。</p>');
    const sleeps: number[] = [];
    const run = await cli(
      path,
      ['send', '--to', 'a@example.org,b@example.org', '--cc', 'c@example.org', '--subject', '電話メモ: 山田様よりお電話がありました', '--text', '折り返しお願いします。', '--html-file', html, '--category', 'phone-memo'],
      { mailer: { sleep: async (ms) => void sleeps.push(ms) } },
    );
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Sent: <.+@example\.com>/);
    expect(run.out).toContain('accepted: c@example.org');
    expect(sleeps).toEqual([1000]);
    expect(pop.sessions[0]?.method).toBe('apop');
    expect(smtp.messages[0]?.recipients).toEqual(['a@example.org', 'b@example.org', 'c@example.org']);
    expect(decoded(smtp.messages[0]?.content ?? new Uint8Array()).subject).toBe('電話メモ: 山田様よりお電話がありました');
  });

  it('prints the send result as JSON with --json, and exits 3 on a delivery failure', async () => {
    const smtp = await smtpServer({ script: [{ command: 'MAIL', reply: '550 5.7.1 Sender refused' }] });
    const ok = await smtpServer();
    const { path } = await tempStore();
    await cli(path, ['set', '--address', ADDRESS, '--smtp-host', '127.0.0.1', '--smtp-port', String(ok.port)]);
    const sent = await cli(path, ['send', '--json', '--to', 'a@example.org', '--subject', 'S', '--text', 'T']);
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.out)).toMatchObject({ accepted: ['a@example.org'], rejected: [] });
    await cli(path, ['set', '--smtp-port', String(smtp.port)]);
    const refused = await cli(path, ['send', '--to', 'a@example.org', '--subject', 'S', '--text', 'T']);
    expect(refused.code).toBe(3);
    expect(refused.err).toContain('550 5.7.1 Sender refused');
  });

  it('sends through a mail feature server with the account from --account and its password from SYSMAIL_ACCOUNT_PASSWORD', async () => {
    const smtp = await smtpServer({ starttls: true, auth: { mechanisms: ['CRAM-MD5'], users: { [SMTP_USER]: SMTP_PASSWORD }, required: true } });
    const { path } = await tempStore();
    const add = ['servers', 'add', '--id', 'mx', '--name', 'Main', '--smtp-host', '127.0.0.1', '--smtp-port', String(smtp.port), '--encryption', 'starttls', '--timeout', '20', '--smtp-auth'];
    expect((await cli(path, add)).code).toBe(0);
    const select = ['set', '--address', ADDRESS, '--server-type', 'mail-feature', '--server-id', 'mx', '--account', SMTP_USER];
    const missing = await cli(path, select);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('server.password');
    const saved = await cli(path, select, { env: { SYSMAIL_ACCOUNT_PASSWORD: SMTP_PASSWORD } });
    expect(saved).toMatchObject({ code: 0, err: '' });
    const sent = await cli(path, ['send', '--to', 'tanaka@example.org', '--subject', '電話メモ', '--text', '折り返しお願いします。']);
    expect(sent.code).toBe(0);
    expect(smtp.sessions.at(-1)).toMatchObject({ secure: true, mechanism: 'CRAM-MD5', authenticatedAs: SMTP_USER });
    expect(smtp.messages).toHaveLength(1);
    expect(saved.out + sent.out + sent.err).not.toContain(SMTP_PASSWORD);
  });

  it('exits 1 when the account is set to not in use', async () => {
    const { path } = await tempStore();
    await cli(path, ['set', '--address', ADDRESS, '--smtp-host', '127.0.0.1', '--no-use']);
    const run = await cli(path, ['--lang', 'ja', 'send', '--to', 'a@example.org', '--subject', 'S', '--text', 'T']);
    expect(run.code).toBe(1);
    expect(run.err).toContain('「使用しない」');
  });
});

describe('system-mail servers / oauth-clients / authorize', () => {
  it('registers, lists and removes mail feature servers', async () => {
    const { path } = await tempStore();
    expect((await cli(path, ['servers', 'add', '--id', 'mx', '--name', 'Main', '--smtp-host', 'mail.example.com', '--smtp-port', '587', '--encryption', 'starttls', '--smtp-auth'])).code).toBe(0);
    const list = await cli(path, ['servers', 'list']);
    expect(list.out).toBe('mx\tMain\tmail.example.com:587\tstarttls\t10s\tSMTP AUTH\n');
    expect((await cli(path, ['servers', 'add', '--id', 'mx', '--smtp-host', 'other.example.com'])).code).toBe(1);
    expect((await cli(path, ['servers', 'add', '--id', 'bad', '--smtp-host', 'x.example.com', '--encryption', 'ssl'])).code).toBe(2);
    expect((await cli(path, ['servers', 'remove', 'mx'])).code).toBe(0);
    expect((await cli(path, ['servers', 'remove', '--id', 'mx'])).code).toBe(1);
    expect(JSON.parse((await cli(path, ['servers', 'list', '--json'])).out)).toEqual([]);
  });

  it('registers OAuth clients with the secret from the environment and never prints it', async () => {
    const { path } = await tempStore();
    const secret = 'oauth-client-secret-ABCDEFGH';
    const add = await cli(path, ['oauth-clients', 'add', '--id', 'g', '--provider', 'google', '--client-id', 'app.apps.googleusercontent.com'], {
      env: { SYSMAIL_OAUTH_CLIENT_SECRET: secret },
    });
    expect(add.code).toBe(0);
    const list = await cli(path, ['oauth-clients', 'list']);
    expect(list.out).toContain('g\t\tgoogle\tapp.apps.googleusercontent.com\tsecret set');
    const json = await cli(path, ['oauth-clients', 'list', '--json']);
    expect(JSON.parse(json.out)).toEqual([{ id: 'g', provider: 'google', clientId: 'app.apps.googleusercontent.com', clientSecretSet: true }]);
    expect(list.out + json.out).not.toContain(secret);
    expect((await cli(path, ['oauth-clients', 'add', '--id', 'x', '--provider', 'yahoo', '--client-id', 'c'])).code).toBe(2);
    expect((await cli(path, ['oauth-clients', 'remove', 'g'])).code).toBe(0);
  });

  it('authorizes through the browser flow and then sends with XOAUTH2', async () => {
    const oauth = await startFakeOAuthServer({ account: ADDRESS });
    onCleanup(() => oauth.close());
    oauth.registerClient({ clientId: 'ms-app', clientSecret: 'ms-client-secret-0123', redirectUris: ['http://127.0.0.1/'], flavour: 'microsoft' });
    const smtp = await smtpServer({ starttls: true, auth: { mechanisms: ['XOAUTH2'], verifyToken: oauth.xoauth2Verifier() } });
    const { path } = await tempStore();
    const endpoints = oauth.urls.microsoft('contoso.example');
    const add = await cli(
      path,
      ['oauth-clients', 'add', '--id', 'ms', '--provider', 'microsoft', '--client-id', 'ms-app', '--tenant', 'contoso.example',
        '--authorize-endpoint', endpoints.authorize, '--token-endpoint', endpoints.token, '--smtp-host', '127.0.0.1', '--smtp-port', String(smtp.port)],
      { env: { SYSMAIL_OAUTH_CLIENT_SECRET: 'ms-client-secret-0123' } },
    );
    expect(add.code).toBe(0);
    expect((await cli(path, ['set', '--address', ADDRESS, '--oauth', '--oauth-client', 'ms'])).code).toBe(0);
    const required = await cli(path, ['--lang', 'ja', 'show']);
    expect(required.out).toMatch(/OAuth認可\s+要認可/);
    expect(required.out).toContain('Sign in with Microsoft');
    expect((await cli(path, ['send', '--to', 'a@example.org', '--subject', 'S', '--text', 'T'])).code).toBe(1);

    const run = await cli(path, ['authorize'], {
      // The fake provider consents at once; following its redirect plays the browser.
      presentUrl: async (url) => void (await fetch(url)).body?.cancel(),
    });
    expect(run.code).toBe(0);
    expect(run.out).toContain('Open this URL in a browser');
    expect(run.out).toContain(`authorized (${ADDRESS})`);
    expect((await cli(path, ['--lang', 'ja', 'show'])).out).toMatch(/OAuth認可\s+認可済み/);
    const sent = await cli(path, ['send', '--to', 'a@example.org', '--subject', 'S', '--text', 'T']);
    expect(sent.code).toBe(0);
    expect(smtp.sessions.at(-1)).toMatchObject({ mechanism: 'XOAUTH2', secure: true });
  });
});

describe('system-mail usage and exit codes', () => {
  it.each([['--password', 'x'], ['--smtp-password=x'], ['--pop-password', 'x'], ['--client-secret', 'x'], ['--token=abc']])(
    'refuses %s on the command line, saying why, before touching the store',
    async (...flag) => {
      const run = await cli('/nonexistent/dir/store.json', ['set', ...flag]);
      expect(run.code).toBe(2);
      expect(run.err).toContain('shell history');
      expect(run.err).toContain('SYSMAIL_SMTP_PASSWORD');
      expect(run.err).not.toContain('abc');
    },
  );

  it('exits 2 for an unknown command, an unknown flag, a flag of another command or a missing value', async () => {
    const { path } = await tempStore();
    expect(await cli(path, ['frobnicate'])).toMatchObject({ code: 2 });
    expect(await cli(path, ['show', '--smtp-hots', 'x'])).toMatchObject({ code: 2 });
    expect(await cli(path, ['show', '--to', 'a@example.org'])).toMatchObject({ code: 2 });
    expect(await cli(path, ['set', '--smtp-host'])).toMatchObject({ code: 2 });
    expect(await cli(path, ['send', '--to', 'a@example.org'])).toMatchObject({ code: 2 });
    expect(await cli(path, [])).toMatchObject({ code: 2 });
    expect(await cli(path, ['--lang', 'fr', 'show'])).toMatchObject({ code: 2 });
  });

  it('prints the usage in the language of LANG, or of --lang', async () => {
    const { path } = await tempStore();
    expect((await cli(path, ['--help'], { env: { LANG: 'ja_JP.UTF-8' } })).out).toContain('使い方: system-mail');
    expect((await cli(path, ['--help', '--lang', 'en'], { env: { LANG: 'ja_JP.UTF-8' } })).out).toContain('Usage: system-mail');
    expect((await cli(path, ['help'])).out).toContain('Exit codes: 0 ok');
  });

  it('exits 4 when the store cannot be decrypted', async () => {
    const { path } = await tempStore();
    await cli(path, ['set', '--address', ADDRESS, '--smtp-host', '127.0.0.1']);
    const run = await cli(path, ['show'], { env: { SYSMAIL_SECRET_KEY: Buffer.alloc(32, 1).toString('base64') } });
    expect(run.code).toBe(4);
  });

  it('runs as a program with tsx: exit codes and the --password refusal', async () => {
    const { path } = await tempStore();
    await cli(path, ['set', '--address', ADDRESS, '--smtp-host', '127.0.0.1']);
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    // The same as `npx tsx packages/system-mail/src/cli.ts`, without npx's start-up cost.
    const run = (args: string[]) =>
      promisify(execFile)(join(root, 'node_modules/.bin/tsx'), ['packages/system-mail/src/cli.ts', '--store', path, ...args], {
        cwd: root,
        env: { ...process.env, SYSMAIL_SECRET_KEY: KEY, LANG: 'ja_JP.UTF-8' },
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );
    const [refused, shown] = await Promise.all([run(['set', '--password', 'hunter2-secret']), run(['show'])]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--password は使用できません');
    expect(refused.stderr).not.toContain('hunter2-secret');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('システムメールアドレス');
  }, 30_000);
});
