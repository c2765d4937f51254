import type { SystemMailerOptions } from '../mailer/mailer-types.js';
import type { SettingsStore } from '../settings-store.js';
import type { ParsedArguments } from './cli-arguments.js';
import type { CliLanguage } from './cli-language.js';
import type { CliWriter } from './cli-output.js';
import type { PromptInput } from './secret-prompt.js';

/** What the CLI runs with: its arguments, environment and streams, and what embedding code or tests inject. */
export interface CliIo {
  /** The arguments after the program name. */
  readonly argv: readonly string[];
  /** The environment (passwords, `LANG`, `SYSMAIL_STORE`, `SYSMAIL_SECRET_KEY`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Standard output: results. */
  readonly stdout: CliWriter;
  /** Standard error: errors, warnings, prompts. */
  readonly stderr: CliWriter;
  /** The terminal passwords are prompted on when not in the environment; no prompt without a TTY. */
  readonly stdin?: PromptInput;
  /** Mailer options for `test` and `send` besides the store (e.g. a private CA in `tls`). */
  readonly mailer?: Omit<SystemMailerOptions, 'store'>;
  /** Shows the authorization URL (`authorize`); default: it is printed for the administrator to open. */
  readonly presentUrl?: (url: string) => void | Promise<void>;
}

/** One command's view of the run. */
export interface CliContext {
  /** The injected I/O. */
  readonly io: CliIo;
  /** The parsed arguments; `positionals[0]` is the command. */
  readonly args: ParsedArguments;
  /** The language of messages. */
  readonly lang: CliLanguage;
  /** True with `--json`: machine-readable output on stdout. */
  readonly json: boolean;
  /** Opens the settings store (once). */
  store(): Promise<SettingsStore>;
  /** Writes a line in the chosen language to stdout. */
  say(ja: string, en: string): void;
}
