import { resolve } from 'node:path';
import { SystemMailConfigError, SystemMailDeliveryError, SystemMailDisabledError, SystemMailError, SystemMailStoreError } from '../errors.js';
import { openSettingsStore, type SettingsStore } from '../settings-store.js';
import { flagValue, parseArguments, refuseSecretFlags, type FlagSpec } from './cli-arguments.js';
import type { CliContext, CliIo } from './cli-context.js';
import { languageFromEnv, type CliLanguage } from './cli-language.js';
import { line } from './cli-output.js';
import { CliUsageError } from './cli-usage-error.js';
import { authorizeCommand, sendCommand, testCommand } from './delivery-commands.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { oauthClientsCommand, serversCommand } from './registry-commands.js';
import { setCommand, showCommand, validateCommand } from './settings-commands.js';
import { settingsFlagSpec } from './settings-flags.js';

const GLOBAL_FLAGS: FlagSpec = { store: 'string', lang: 'string', json: 'boolean', help: 'boolean' };
const SERVER_FLAGS: FlagSpec = {
  id: 'string',
  name: 'string',
  'smtp-host': 'string',
  'smtp-port': 'string',
  encryption: 'string',
  timeout: 'string',
  'smtp-auth': 'boolean',
  'oauth-client': 'string',
};
const CLIENT_FLAGS: FlagSpec = {
  id: 'string',
  name: 'string',
  provider: 'string',
  'client-id': 'string',
  tenant: 'string',
  'authorize-endpoint': 'string',
  'token-endpoint': 'string',
  'smtp-host': 'string',
  'smtp-port': 'string',
};

interface Command {
  readonly flags: FlagSpec;
  readonly run: (ctx: CliContext) => Promise<ExitCode>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  show: { flags: {}, run: showCommand },
  set: { flags: { ...settingsFlagSpec(), file: 'string' }, run: setCommand },
  validate: { flags: { file: 'string' }, run: validateCommand },
  test: { flags: { ca: 'string' }, run: testCommand },
  send: {
    flags: { ca: 'string', to: 'list', cc: 'list', subject: 'string', text: 'string', 'text-file': 'string', 'html-file': 'string', category: 'string' },
    run: sendCommand,
  },
  servers: { flags: SERVER_FLAGS, run: serversCommand },
  'oauth-clients': { flags: CLIENT_FLAGS, run: oauthClientsCommand },
  authorize: { flags: {}, run: authorizeCommand },
};

const USAGE: Record<CliLanguage, string> = {
  ja: `使い方: system-mail [--store PATH] [--lang ja|en] [--json] <コマンド> [オプション]

コマンド:
  show                          システムメールアカウントの詳細を表示する
  set --file FILE | --項目 値…   設定を保存する（例: --smtp-host smtp.example.com --smtp-port 587
                                --encryption starttls --smtp-auth-mechanism CRAM-MD5 --smtp-account sys）
  validate [--file FILE]        設定を検査する（保存しない）
  test [--ca FILE]              接続テスト（送信はしない）。やり取りを表示する
  send --to 宛先 --subject 件名 (--text 本文 | --text-file FILE) [--cc 宛先] [--html-file FILE] [--ca FILE]
                                --ca: プライベートCAの証明書（PEM）。標準のルート証明書に加えて信頼する
  servers list|add|remove       メール用に設定したメールサーバー
  oauth-clients list|add|remove OAuthクライアント
  authorize                     OAuth認可（ブラウザーでサインイン）

パスワードは環境変数 SYSMAIL_SMTP_PASSWORD、SYSMAIL_POP_PASSWORD、SYSMAIL_ACCOUNT_PASSWORD、
SYSMAIL_OAUTH_CLIENT_SECRET、または端末での入力で渡します（コマンドライン引数では受け付けません）。
終了コード: 0 成功、1 設定の誤り・未設定・要認可、2 使い方の誤り、3 送信・接続の失敗、4 設定ファイルの誤り
`,
  en: `Usage: system-mail [--store PATH] [--lang ja|en] [--json] <command> [options]

Commands:
  show                          show the system mail account details
  set --file FILE | --field value…  save settings (e.g. --smtp-host smtp.example.com --smtp-port 587
                                --encryption starttls --smtp-auth-mechanism CRAM-MD5 --smtp-account sys)
  validate [--file FILE]        check settings without saving
  test [--ca FILE]              connection test (nothing is sent), with the transcript
  send --to ADDR --subject TEXT (--text TEXT | --text-file FILE) [--cc ADDR] [--html-file FILE] [--ca FILE]
                                --ca: a private CA's certificate (PEM), trusted besides the usual roots
  servers list|add|remove       servers registered for the mail feature
  oauth-clients list|add|remove OAuth clients
  authorize                     OAuth authorization (sign in with a browser)

Passwords come from SYSMAIL_SMTP_PASSWORD, SYSMAIL_POP_PASSWORD, SYSMAIL_ACCOUNT_PASSWORD,
SYSMAIL_OAUTH_CLIENT_SECRET or a no-echo prompt on a terminal, never from the command line.
Exit codes: 0 ok, 1 settings refused / not set up / authorization required, 2 usage, 3 delivery failure, 4 store error
`,
};

function allFlags(): FlagSpec {
  const spec: Record<string, FlagSpec[string]> = { ...GLOBAL_FLAGS };
  for (const command of Object.values(COMMANDS)) Object.assign(spec, command.flags);
  return spec;
}

function exitCodeOf(error: SystemMailError): ExitCode {
  if (error instanceof CliUsageError) return EXIT_CODES.usage;
  if (error instanceof SystemMailStoreError) return EXIT_CODES.store;
  if (error instanceof SystemMailDeliveryError) return EXIT_CODES.delivery;
  if (error instanceof SystemMailDisabledError || error instanceof SystemMailConfigError) return EXIT_CODES.config;
  // Composition errors (a bad recipient address): the input is refused, as validation would.
  return EXIT_CODES.config;
}

function languageOf(io: CliIo): CliLanguage {
  const index = io.argv.findIndex((a) => a === '--lang' || a.startsWith('--lang='));
  const given = index === -1 ? undefined : io.argv[index]?.includes('=') ? io.argv[index]?.slice(7) : io.argv[index + 1];
  return given === 'ja' || given === 'en' ? given : languageFromEnv(io.env);
}

/**
 * Runs the `system-mail` command: parses the arguments, opens the store,
 * runs the command and maps failures to the documented exit codes, printing
 * messages in the chosen language. Never throws for a failure it knows;
 * passwords and tokens are never printed.
 *
 * @param io - arguments, environment, streams, and what tests or embedding code inject.
 * @returns the exit code (see {@link EXIT_CODES}).
 */
export async function runCli(io: CliIo): Promise<ExitCode> {
  const lang = languageOf(io);
  try {
    refuseSecretFlags(io.argv);
    const args = parseArguments(io.argv, allFlags());
    const requested = flagValue(args, 'lang');
    if (requested !== undefined && requested !== 'ja' && requested !== 'en') {
      throw new CliUsageError({ ja: '--lang は ja か en です。', en: '--lang is ja or en.' });
    }
    const name = args.positionals[0];
    if (args.flags.has('help') || name === 'help') {
      io.stdout.write(USAGE[lang]);
      return EXIT_CODES.ok;
    }
    const command = name === undefined ? undefined : COMMANDS[name];
    if (command === undefined) {
      io.stderr.write(USAGE[lang]);
      throw new CliUsageError(
        name === undefined
          ? { ja: 'コマンドを指定してください。', en: 'Give a command.' }
          : { ja: `不明なコマンドです: ${name}`, en: `Unknown command: ${name}` },
      );
    }
    for (const flag of args.flags.keys()) {
      if (GLOBAL_FLAGS[flag] === undefined && command.flags[flag] === undefined) {
        throw new CliUsageError({ ja: `${name} では --${flag} は使用できません。`, en: `--${flag} does not apply to ${name}.` });
      }
    }
    let opened: Promise<SettingsStore> | undefined;
    const storePath = flagValue(args, 'store');
    const ctx: CliContext = {
      io,
      args,
      lang,
      json: args.flags.has('json'),
      store: () => (opened ??= openSettingsStore({ ...(storePath !== undefined ? { path: resolve(storePath) } : {}), env: io.env })),
      say: (ja, en) => line(io.stdout, lang === 'ja' ? ja : en),
    };
    return await command.run(ctx);
  } catch (error) {
    if (!(error instanceof SystemMailError)) throw error;
    line(io.stderr, error.messages[lang]);
    if (error instanceof SystemMailConfigError) {
      for (const issue of error.issues ?? []) line(io.stderr, `  ${issue.path}: ${issue.message[lang]}`);
    }
    return exitCodeOf(error);
  }
}
