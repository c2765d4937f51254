import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { SystemMailConfigError } from '../errors.js';
import { createSystemMailer } from '../mailer/create-system-mailer.js';
import type { SystemMailer, SystemMailTlsOptions } from '../mailer/mailer-types.js';
import { authorizeInteractively } from '../oauth/interactive-authorization.js';
import { flagList, flagValue } from './cli-arguments.js';
import type { CliContext } from './cli-context.js';
import { line, writeIssues, writeTranscript } from './cli-output.js';
import { CliUsageError } from './cli-usage-error.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * The CAs to verify the servers with when `--ca FILE` is given: the file's
 * certificates added to Node's bundled roots (or to the CAs the embedding
 * code passed), as NODE_EXTRA_CA_CERTS would, so a private CA does not stop
 * the public ones from verifying.
 */
async function withPrivateCa(ctx: CliContext, tls: SystemMailTlsOptions | undefined): Promise<SystemMailTlsOptions | undefined> {
  const file = flagValue(ctx.args, 'ca');
  if (file === undefined) return tls;
  const pem = await readText(file);
  if (!PEM_CERTIFICATE.test(pem)) {
    throw new CliUsageError({
      ja: `--ca のファイル ${file} にPEM形式の証明書（-----BEGIN CERTIFICATE-----）がありません。`,
      en: `The --ca file ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----).`,
    });
  }
  const given = tls?.ca;
  const base = given === undefined ? [...rootCertificates] : Array.isArray(given) ? [...given] : [given];
  return { ...tls, ca: [...base, pem] };
}

async function mailerOf(ctx: CliContext): Promise<SystemMailer> {
  const tls = await withPrivateCa(ctx, ctx.io.mailer?.tls);
  return createSystemMailer({ ...ctx.io.mailer, ...(tls !== undefined ? { tls } : {}), store: await ctx.store() });
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new CliUsageError({ ja: `ファイル ${path} を読み込めません。`, en: `Cannot read the file ${path}.` });
  }
}

/**
 * `test`: runs the delivery path without sending and prints the redacted transcript.
 *
 * @param ctx - the run.
 * @returns 0 when every step succeeded, 3 when a server failed.
 */
export async function testCommand(ctx: CliContext): Promise<ExitCode> {
  const result = await (await mailerOf(ctx)).testConnection();
  if (ctx.json) {
    line(
      ctx.io.stdout,
      JSON.stringify(
        {
          ok: result.ok,
          transcript: result.transcript,
          warnings: result.warnings,
          ...(result.error !== undefined ? { error: { name: result.error.name, messages: result.error.messages, ...('phase' in result.error ? { phase: result.error.phase } : {}) } } : {}),
        },
        null,
        2,
      ),
    );
  } else {
    writeTranscript(ctx.io.stdout, result.transcript);
    writeIssues(ctx.io.stderr, result.warnings, ctx.lang, ctx.lang === 'ja' ? '警告' : 'warning');
    if (result.ok) ctx.say('接続テストに成功しました。', 'The connection test succeeded.');
    else line(ctx.io.stderr, result.error?.messages[ctx.lang]);
  }
  return result.ok ? EXIT_CODES.ok : EXIT_CODES.delivery;
}

/**
 * `send`: sends one notification from the system mail account.
 *
 * @param ctx - the run.
 * @returns the exit code.
 */
export async function sendCommand(ctx: CliContext): Promise<ExitCode> {
  const to = flagList(ctx.args, 'to');
  const cc = flagList(ctx.args, 'cc');
  const subject = flagValue(ctx.args, 'subject');
  const textFlag = flagValue(ctx.args, 'text');
  const textFile = flagValue(ctx.args, 'text-file');
  const htmlFile = flagValue(ctx.args, 'html-file');
  const category = flagValue(ctx.args, 'category');
  if (to.length + cc.length === 0 || subject === undefined || (textFlag === undefined) === (textFile === undefined)) {
    throw new CliUsageError({
      ja: 'send には --to（または --cc）、--subject、および --text か --text-file のどちらか一方が必要です。',
      en: 'send needs --to (or --cc), --subject, and exactly one of --text and --text-file.',
    });
  }
  const text = textFlag ?? (await readText(textFile as string));
  const html = htmlFile === undefined ? undefined : await readText(htmlFile);
  const result = await (await mailerOf(ctx)).send({
    to,
    cc,
    subject,
    text,
    ...(html !== undefined ? { html } : {}),
    ...(category !== undefined ? { category } : {}),
  });
  if (ctx.json) {
    line(ctx.io.stdout, JSON.stringify(result, null, 2));
  } else {
    ctx.say(`送信しました: ${result.messageId}`, `Sent: ${result.messageId}`);
    for (const address of result.accepted) ctx.say(`  送信先: ${address}`, `  accepted: ${address}`);
    for (const r of result.rejected) {
      const reply = [r.reply.code, r.reply.enhancedCode, r.reply.lines.join(' ')].filter((p) => p !== undefined).join(' ');
      line(ctx.io.stderr, ctx.lang === 'ja' ? `  拒否された宛先: ${r.address}（${reply}）` : `  rejected: ${r.address} (${reply})`);
    }
    writeIssues(ctx.io.stderr, result.warnings, ctx.lang, ctx.lang === 'ja' ? '警告' : 'warning');
  }
  return EXIT_CODES.ok;
}

/**
 * `authorize`: OAuth認可 from the command line. Prints the provider's sign-in
 * URL, waits for the browser's redirect on a loopback listener, and stores
 * the tokens; the status becomes 認可済み.
 *
 * @param ctx - the run.
 * @returns the exit code.
 */
export async function authorizeCommand(ctx: CliContext): Promise<ExitCode> {
  const store = await ctx.store();
  const ref = (await store.snapshot()).oauth?.ref;
  if (ref === undefined) {
    throw new SystemMailConfigError({
      ja: '現在の設定ではOAuthを使用していません。「メールの送信にOAuthを使用する」を設定してから認可してください。',
      en: 'The current settings do not use OAuth; enable OAuth for sending first.',
    });
  }
  const done = await authorizeInteractively(store, ref.client, {
    presentUrl: async (url) => {
      ctx.say('ブラウザーで次のURLを開き、サインインしてアクセスを許可してください:', 'Open this URL in a browser, sign in and grant access:');
      line(ctx.io.stdout, url);
      await ctx.io.presentUrl?.(url);
    },
  });
  if (ctx.json) line(ctx.io.stdout, JSON.stringify({ ok: true, ref: done.ref, account: done.account }, null, 2));
  else ctx.say(`OAuth認可: 認可済み（${done.account}）`, `OAuth authorization: authorized (${done.account})`);
  return EXIT_CODES.ok;
}
