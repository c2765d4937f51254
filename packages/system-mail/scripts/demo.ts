// The sysmail demo (`npm run demo`): fake SMTP, POP3 and OAuth servers on
// loopback, a system mail account configured four ways in a temporary store,
// and a Japanese phone-memo notification sent through each, with the redacted
// transcripts and the message as the server received it, decoded.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startFakeOAuthServer,
  startFakePop3Server,
  startFakeSmtpServer,
  tlsFixtures,
  type FakeSmtpMessage,
  type FakeSmtpServer,
} from '@sysmail/test-servers';
import { createSystemMailer } from '../src/mailer/create-system-mailer.js';
import type { SystemMailTranscriptEntry } from '../src/mailer/mailer-types.js';
import { authorizeInteractively } from '../src/oauth/interactive-authorization.js';
import { openSettingsStore, type SettingsStore } from '../src/settings-store.js';
import { decodeBody, decodeUnstructured, header, splitMessage } from './mime-decoder.js';

const ADDRESS = 'notify@example.com';
const SMTP_USER = 'portal-notify';
const SMTP_PASSWORD = 'demo-smtp-password';
const POP_USER = 'portal-pop';
const POP_PASSWORD = 'demo-pop-password';
const bold = (text: string): string => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const dim = (text: string): string => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text);

const memo = {
  to: 'tanaka@example.org',
  subject: '電話メモ: 山田様よりお電話がありました',
  text: [
    '田中さん',
    '',
    '株式会社サンプルの山田様より 14:05 にお電話がありました。',
    '折り返しお電話をお願いします（03-1234-5678）。',
    '',
    '-- 社内ポータル 電話メモ',
  ].join('\n'),
  category: 'phone-memo',
};

function printTranscript(entry: SystemMailTranscriptEntry): void {
  const who = entry.direction === 'client' ? 'C:' : entry.direction === 'server' ? 'S:' : '* ';
  console.log(dim(`    [${entry.protocol.padEnd(6)}] ${who} ${entry.text}`));
}

function printReceived(server: FakeSmtpServer, message: FakeSmtpMessage | undefined): void {
  if (message === undefined) throw new Error('the server received nothing');
  const parsed = splitMessage(Buffer.from(message.content).toString('latin1'));
  const encoding = header(parsed, 'Content-Transfer-Encoding');
  console.log(`  ${bold('受信したメッセージ / as received')} (127.0.0.1:${server.port}, ${message.session.secure ? 'TLS' : 'plaintext'}${message.session.mechanism !== undefined ? `, AUTH ${message.session.mechanism}` : ''})`);
  console.log(`    MAIL FROM: <${message.from}>  RCPT TO: ${message.recipients.map((r) => `<${r}>`).join(' ')}`);
  for (const name of ['From', 'To', 'Subject']) {
    const raw = header(parsed, name) ?? '';
    console.log(`    ${name}: ${decodeUnstructured(raw)}${raw.includes('=?') ? dim(`   (${raw.slice(0, 48)}…)`) : ''}`);
  }
  console.log(`    Content-Transfer-Encoding: ${encoding ?? '-'}`);
  for (const bodyLine of decodeBody(encoding, parsed.body).trimEnd().split(/\r?\n/)) console.log(`    | ${bodyLine}`);
}

async function run(title: string, store: SettingsStore, settings: unknown, server: FakeSmtpServer, afterSave?: () => Promise<void>): Promise<void> {
  console.log(`\n${bold(title)}`);
  const saved = await store.saveSettings(settings);
  if (!saved.ok) throw new Error(`settings refused: ${JSON.stringify(saved.issues)}`);
  const details = await store.describe();
  const shown = details?.items.filter((i) => i.path.startsWith('server.') && i.path !== 'server.type').map((i) => `${i.label.ja}=${i.value.ja}`);
  console.log(dim(`  設定: ${shown?.join(' / ')}`));
  for (const warning of saved.warnings) console.log(`  警告 ${warning.path}: ${warning.message.ja}`);
  await afterSave?.();
  const started = Date.now();
  const mailer = createSystemMailer({ store, tls: { ca: tlsFixtures.ca }, onTranscript: printTranscript });
  const result = await mailer.send(memo);
  console.log(`  送信しました / sent ${result.messageId} in ${Date.now() - started} ms → ${result.accepted.join(', ')}`);
  printReceived(server, server.messages.at(-1));
}

async function main(): Promise<void> {
  const begun = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'sysmail-demo-'));
  const closers: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  try {
    const store = await openSettingsStore({ path: join(dir, 'system-mail.json'), key: Buffer.alloc(32, 42) });
    console.log(bold('sysmail demo — システムメールアカウントから電話メモを送信します'));
    console.log(dim(`  store: ${store.path} (secrets encrypted at rest); fake servers on 127.0.0.1, TLS with the test CA`));

    // (1) SMTP AUTH CRAM-MD5 over STARTTLS.
    const starttls = await startFakeSmtpServer({ starttls: true, requireTls: true, auth: { mechanisms: ['CRAM-MD5', 'PLAIN'], users: { [SMTP_USER]: SMTP_PASSWORD }, required: true } });
    closers.push(() => starttls.close());
    await run('(1) SMTP認証 CRAM-MD5 + STARTTLSを使用する', store, {
      use: true,
      address: ADDRESS,
      displayName: 'sysmail 通知',
      server: {
        type: 'dedicated',
        oauth: { enabled: false },
        smtp: { host: '127.0.0.1', port: starttls.port, encryption: 'starttls', timeoutSeconds: 10 },
        auth: { method: 'smtp-auth', mechanism: 'CRAM-MD5', account: SMTP_USER, password: SMTP_PASSWORD },
      },
    }, starttls);

    // (2) POP before SMTP with APOP and a 2-second wait: the SMTP server relays
    // only for a client address that logged in to POP3 within the last 10 s.
    const popLogins = new Map<string, number>();
    const pop = await startFakePop3Server({ apop: true, users: { [POP_USER]: POP_PASSWORD }, onLogin: (login) => popLogins.set(login.remoteAddress, login.at) });
    closers.push(() => pop.close());
    const relay = await startFakeSmtpServer({
      relayPolicy: (session) => {
        const at = popLogins.get(session.remoteAddress);
        return at !== undefined && Date.now() - at <= 10_000 ? true : '554 5.7.1 Relay access denied: POP before SMTP required';
      },
    });
    closers.push(() => relay.close());
    await run('(2) POP before SMTP（APOP認証、送信までの待ち時間 2秒）', store, {
      use: true,
      address: ADDRESS,
      displayName: 'sysmail 通知',
      server: {
        type: 'dedicated',
        oauth: { enabled: false },
        smtp: { host: '127.0.0.1', port: relay.port, encryption: 'none', timeoutSeconds: 10 },
        auth: {
          method: 'pop-before-smtp',
          waitSeconds: 2,
          pop: { host: '127.0.0.1', port: pop.port, tls: false, apop: true, account: POP_USER, password: POP_PASSWORD, timeoutSeconds: 10 },
        },
      },
    }, relay);
    const popQuit = pop.sessions.at(-1)?.quitAt ?? 0;
    console.log(`  ${bold('サーバー側の計測 / measured by the servers')}: POP3 QUIT → SMTP接続 ${(relay.sessions.at(-1)?.startedAt ?? 0) - popQuit} ms`);

    // (3) SMTP AUTH PLAIN over implicit TLS.
    const smtps = await startFakeSmtpServer({ implicitTls: true, auth: { mechanisms: ['PLAIN', 'LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD }, required: true } });
    closers.push(() => smtps.close());
    await run('(3) SMTP認証 PLAIN + TLSを使用する', store, {
      use: true,
      address: ADDRESS,
      displayName: 'sysmail 通知',
      server: {
        type: 'dedicated',
        oauth: { enabled: false },
        smtp: { host: '127.0.0.1', port: smtps.port, encryption: 'tls', timeoutSeconds: 10 },
        auth: { method: 'smtp-auth', mechanism: 'PLAIN', account: SMTP_USER, password: SMTP_PASSWORD },
      },
    }, smtps);

    // (4) OAuth (Gmail-style XOAUTH2) with the fake OAuth server: register the
    // client, save, sign in as `system-mail authorize` does (the fake provider
    // consents at once and redirects to the loopback listener), send.
    const oauth = await startFakeOAuthServer({ account: ADDRESS });
    closers.push(() => oauth.close());
    oauth.registerClient({ clientId: 'garoon-demo', clientSecret: 'demo-client-secret', redirectUris: ['http://127.0.0.1/'], flavour: 'google' });
    const gmail = await startFakeSmtpServer({ implicitTls: true, auth: { mechanisms: ['XOAUTH2', 'OAUTHBEARER'], verifyToken: oauth.xoauth2Verifier() } });
    closers.push(() => gmail.close());
    await store.oauthClients.add({
      id: 'google',
      name: 'Gmail (demo)',
      provider: 'google',
      clientId: 'garoon-demo',
      clientSecret: 'demo-client-secret',
      authorizeEndpoint: oauth.urls.google.authorize,
      tokenEndpoint: oauth.urls.google.token,
      smtpHost: '127.0.0.1',
      smtpPort: gmail.port,
    });
    const oauthSettings = {
      use: true,
      address: ADDRESS,
      displayName: 'sysmail 通知',
      server: { type: 'dedicated', oauth: { enabled: true, client: 'google' }, smtp: { timeoutSeconds: 10 }, auth: { method: 'none' } },
    };
    await run('(4) OAuth（Gmail、XOAUTH2、TLSを使用する: 自動設定）', store, oauthSettings, gmail, async () => {
      const before = (await store.describe())?.oauth;
      const done = await authorizeInteractively(store, 'google', {
        presentUrl: async (url) => {
          const redirectUri = new URL(url).searchParams.get('redirect_uri');
          console.log(dim(`  sign-in URL opened; the provider redirects the browser to ${redirectUri}`));
          // Following the fake provider's redirect plays the administrator's browser.
          await (await fetch(url)).text();
        },
      });
      console.log(`  OAuth認可: ${before?.label.ja} → [${before?.signIn?.label}] → ${(await store.describe())?.oauth.label.ja} (${done.account})`);
    });

    console.log(`\n${bold('完了 / done')} in ${((Date.now() - begun) / 1000).toFixed(1)} s — passwords and tokens appear only as <redacted>.`);
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

await main();
