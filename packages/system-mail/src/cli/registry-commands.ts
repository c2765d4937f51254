import type { OAuthProvider } from '../oauth-presets.js';
import { ENCRYPTIONS, type Encryption, type TimeoutSeconds } from '../settings-constants.js';
import type { MailFeatureServer, OAuthClient } from '../validation-context.js';
import { flagValue } from './cli-arguments.js';
import type { CliContext } from './cli-context.js';
import { line } from './cli-output.js';
import { CliUsageError } from './cli-usage-error.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { promptSecret } from './secret-prompt.js';

function required(ctx: CliContext, flag: string): string {
  const value = flagValue(ctx.args, flag);
  if (value === undefined || value === '') throw new CliUsageError({ ja: `--${flag} を指定してください。`, en: `--${flag} is required.` });
  return value;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/** A number flag; the registry's own checks judge its range, this only refuses what is not a number at all. */
function numberFlag(ctx: CliContext, flag: string, fallback: number): number {
  const value = flagValue(ctx.args, flag);
  if (value === undefined) return fallback;
  if (!/^[0-9]+$/.test(value)) throw new CliUsageError({ ja: `--${flag} には半角数字を指定してください。`, en: `--${flag} must be a number in digits.` });
  return Number(value);
}

function idOperand(ctx: CliContext): string {
  const id = flagValue(ctx.args, 'id') ?? ctx.args.positionals[2];
  if (id === undefined) throw new CliUsageError({ ja: 'ID を指定してください（--id）。', en: 'Give the id (--id).' });
  return id;
}

function subcommand(ctx: CliContext): string {
  const sub = ctx.args.positionals[1];
  if (sub !== 'list' && sub !== 'add' && sub !== 'remove') {
    throw new CliUsageError({ ja: 'list、add、remove のいずれかを指定してください。', en: 'Use list, add or remove.' });
  }
  return sub;
}

async function removed(ctx: CliContext, gone: boolean, id: string): Promise<ExitCode> {
  if (gone) {
    ctx.say(`${id} を削除しました。`, `Removed ${id}.`);
    return EXIT_CODES.ok;
  }
  line(ctx.io.stderr, ctx.lang === 'ja' ? `${id} は登録されていません。` : `${id} is not registered.`);
  return EXIT_CODES.config;
}

/**
 * `servers list|add|remove`: the servers registered for the mail feature
 * (メール用に設定したメールサーバー), which `--server-type mail-feature` refers to.
 *
 * @param ctx - the run.
 * @returns the exit code.
 */
export async function serversCommand(ctx: CliContext): Promise<ExitCode> {
  const sub = subcommand(ctx);
  const registry = (await ctx.store()).mailServers;
  if (sub === 'list') {
    const servers = await registry.list();
    if (ctx.json) line(ctx.io.stdout, JSON.stringify(servers, null, 2));
    for (const s of ctx.json ? [] : servers) {
      const auth = s.oauthClient !== undefined ? `OAuth (${s.oauthClient})` : s.smtpAuth ? 'SMTP AUTH' : '-';
      line(ctx.io.stdout, `${s.id}\t${s.name}\t${s.smtp.host}:${s.smtp.port}\t${s.smtp.encryption}\t${s.smtp.timeoutSeconds}s\t${auth}`);
    }
    return EXIT_CODES.ok;
  }
  if (sub === 'remove') {
    const id = idOperand(ctx);
    return removed(ctx, await registry.remove(id), id);
  }
  const encryption = flagValue(ctx.args, 'encryption') ?? 'none';
  if (!(ENCRYPTIONS as readonly string[]).includes(encryption)) {
    throw new CliUsageError({ ja: '--encryption は none、tls、starttls のいずれかです。', en: '--encryption is one of none, tls, starttls.' });
  }
  const oauthClient = flagValue(ctx.args, 'oauth-client');
  const server: MailFeatureServer = {
    id: required(ctx, 'id'),
    name: flagValue(ctx.args, 'name') ?? required(ctx, 'id'),
    smtp: {
      host: required(ctx, 'smtp-host'),
      port: numberFlag(ctx, 'smtp-port', 25),
      encryption: encryption as Encryption,
      timeoutSeconds: numberFlag(ctx, 'timeout', 10) as TimeoutSeconds,
    },
    smtpAuth: ['1', 'true', 'yes', 'on'].includes((flagValue(ctx.args, 'smtp-auth') ?? '0').toLowerCase()),
    ...optional('oauthClient', oauthClient),
  };
  await registry.add(server);
  ctx.say(`メールサーバー ${server.id} を登録しました。`, `Registered the mail server ${server.id}.`);
  return EXIT_CODES.ok;
}

/**
 * `oauth-clients list|add|remove`: the registered OAuth clients (OAuthクライアント).
 * The client secret comes from `SYSMAIL_OAUTH_CLIENT_SECRET` or a no-echo
 * prompt; without either the client is registered as a public client.
 *
 * @param ctx - the run.
 * @returns the exit code.
 */
export async function oauthClientsCommand(ctx: CliContext): Promise<ExitCode> {
  const sub = subcommand(ctx);
  const registry = (await ctx.store()).oauthClients;
  if (sub === 'list') {
    // Secrets never leave the store through the CLI: only whether one is set.
    const clients = (await registry.list()).map(({ clientSecret, ...rest }) => ({ ...rest, clientSecretSet: clientSecret !== undefined && clientSecret !== '' }));
    if (ctx.json) line(ctx.io.stdout, JSON.stringify(clients, null, 2));
    for (const c of ctx.json ? [] : clients) {
      const secret = c.clientSecretSet ? (ctx.lang === 'ja' ? 'シークレット設定済み' : 'secret set') : ctx.lang === 'ja' ? 'シークレット未設定' : 'no secret';
      line(ctx.io.stdout, `${c.id}\t${c.name ?? ''}\t${c.provider}\t${c.clientId}\t${secret}`);
    }
    return EXIT_CODES.ok;
  }
  if (sub === 'remove') {
    const id = idOperand(ctx);
    return removed(ctx, await registry.remove(id), id);
  }
  const provider = required(ctx, 'provider');
  if (provider !== 'google' && provider !== 'microsoft') {
    throw new CliUsageError({ ja: '--provider は google か microsoft です。', en: '--provider is google or microsoft.' });
  }
  let secret = ctx.io.env['SYSMAIL_OAUTH_CLIENT_SECRET'];
  if ((secret === undefined || secret === '') && ctx.io.stdin?.isTTY === true) {
    secret = await promptSecret(ctx.io.stdin, ctx.io.stderr, ctx.lang === 'ja' ? 'クライアントシークレット（表示されません。なければ空のまま Enter）: ' : 'Client secret (not echoed; empty for a public client): ');
  }
  const smtpPort = flagValue(ctx.args, 'smtp-port');
  const client: OAuthClient = {
    id: required(ctx, 'id'),
    provider: provider satisfies OAuthProvider,
    clientId: required(ctx, 'client-id'),
    ...optional('name', flagValue(ctx.args, 'name')),
    ...optional('clientSecret', secret === '' ? undefined : secret),
    ...optional('tenant', flagValue(ctx.args, 'tenant')),
    ...optional('authorizeEndpoint', flagValue(ctx.args, 'authorize-endpoint')),
    ...optional('tokenEndpoint', flagValue(ctx.args, 'token-endpoint')),
    ...optional('smtpHost', flagValue(ctx.args, 'smtp-host')),
    ...(smtpPort !== undefined ? { smtpPort: numberFlag(ctx, 'smtp-port', 0) } : {}),
  };
  await registry.add(client);
  ctx.say(`OAuthクライアント ${client.id} を登録しました。`, `Registered the OAuth client ${client.id}.`);
  return EXIT_CODES.ok;
}
