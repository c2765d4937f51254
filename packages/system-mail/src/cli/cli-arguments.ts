import { CliUsageError } from './cli-usage-error.js';

/** How a flag takes its value. */
export type FlagKind = 'string' | 'boolean' | 'list';

/** The flags a command accepts: name (without `--`) → kind. */
export type FlagSpec = Readonly<Record<string, FlagKind>>;

/** A parsed command line. */
export interface ParsedArguments {
  /** The words that are not flags, in order (command, subcommand, operands). */
  readonly positionals: readonly string[];
  /** Flag values: strings for `string` flags, `'1'` / `'0'` or the given text for `boolean`, every value for `list`. */
  readonly flags: ReadonlyMap<string, string | readonly string[]>;
}

// Secrets given as arguments end up in shell history and in every other
// user's `ps` output, so no flag that looks like one is ever accepted.
const SECRET_FLAG = /password|passwd|secret|(^|-)token$/i;

/**
 * Refuses any argument that would carry a secret on the command line.
 *
 * @param argv - the arguments.
 * @throws CliUsageError naming the environment variables to use instead.
 */
export function refuseSecretFlags(argv: readonly string[]): void {
  for (const arg of argv) {
    if (!arg.startsWith('--')) continue;
    const name = arg.slice(2).split('=')[0] ?? '';
    if (SECRET_FLAG.test(name)) {
      throw new CliUsageError({
        ja: `--${name} は使用できません。パスワードや秘密情報をコマンドライン引数で渡すと、シェルの履歴や ps コマンドで他のユーザーに読み取られるためです。環境変数（SYSMAIL_SMTP_PASSWORD、SYSMAIL_POP_PASSWORD、SYSMAIL_ACCOUNT_PASSWORD、SYSMAIL_OAUTH_CLIENT_SECRET）で渡すか、端末での入力（表示されません）を使ってください。`,
        en: `--${name} is refused: a password or secret given as an argument can be read by other users from shell history and ps. Pass it in the environment (SYSMAIL_SMTP_PASSWORD, SYSMAIL_POP_PASSWORD, SYSMAIL_ACCOUNT_PASSWORD, SYSMAIL_OAUTH_CLIENT_SECRET) or type it at the prompt (not echoed).`,
      });
    }
  }
}

function unknownFlag(name: string): CliUsageError {
  return new CliUsageError({ ja: `不明なオプションです: --${name}`, en: `Unknown option: --${name}` });
}

/**
 * Parses `--name value`, `--name=value`, `--flag`, `--no-flag` and
 * positional words; `--` ends the flags.
 *
 * @param argv - the arguments after the program name.
 * @param spec - the flags allowed.
 * @returns positionals and flags.
 * @throws CliUsageError for an unknown flag or a missing value.
 */
export function parseArguments(argv: readonly string[], spec: FlagSpec): ParsedArguments {
  const positionals: string[] = [];
  const flags = new Map<string, string | string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    let name = eq === -1 ? body : body.slice(0, eq);
    let value: string | undefined = eq === -1 ? undefined : body.slice(eq + 1);
    if (spec[name] === undefined && name.startsWith('no-') && spec[name.slice(3)] === 'boolean' && value === undefined) {
      name = name.slice(3);
      value = '0';
    }
    const kind = spec[name];
    if (kind === undefined) throw unknownFlag(name);
    if (value === undefined) {
      if (kind === 'boolean') value = '1';
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) {
          throw new CliUsageError({ ja: `--${name} に値を指定してください。`, en: `--${name} needs a value.` });
        }
        value = next;
        i += 1;
      }
    }
    if (kind === 'list') {
      const values = (flags.get(name) as string[] | undefined) ?? [];
      values.push(value);
      flags.set(name, values);
    } else {
      flags.set(name, value);
    }
  }
  return { positionals, flags };
}

/**
 * A `string` / `boolean` flag's value.
 *
 * @param parsed - the parsed arguments.
 * @param name - the flag.
 * @returns its value, or undefined when absent.
 */
export function flagValue(parsed: ParsedArguments, name: string): string | undefined {
  const value = parsed.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

/**
 * A `list` flag's values, each split at commas.
 *
 * @param parsed - the parsed arguments.
 * @param name - the flag.
 * @returns every value given.
 */
export function flagList(parsed: ParsedArguments, name: string): string[] {
  const value = parsed.flags.get(name);
  const values = value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}
