import { readFile } from 'node:fs/promises';
import { SystemMailConfigError } from '../errors.js';
import { fieldLabel } from '../field-labels.js';
import { settingsToForm } from '../settings-form.js';
import { validateSettings } from '../validate-settings.js';
import type { ValidationResult } from '../validation-result.js';
import { flagValue } from './cli-arguments.js';
import type { CliContext } from './cli-context.js';
import { line, writeDetails, writeIssues } from './cli-output.js';
import { CliUsageError } from './cli-usage-error.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { promptSecret } from './secret-prompt.js';
import { PASSWORD_SOURCES, SETTINGS_FLAGS } from './settings-flags.js';

function notSetUp(): SystemMailConfigError {
  return new SystemMailConfigError({
    ja: 'システムメールアカウントはまだ設定されていません（system-mail set）。',
    en: 'The system mail account has not been set up yet (system-mail set).',
  });
}

/**
 * Reads a JSON file named on the command line.
 *
 * @param path - the file.
 * @returns the parsed value.
 * @throws CliUsageError when it cannot be read or is not JSON.
 */
async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new CliUsageError({ ja: `ファイル ${path} を読み込めません。`, en: `Cannot read the file ${path}.` });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliUsageError({ ja: `ファイル ${path} はJSONではありません。`, en: `The file ${path} is not valid JSON.` });
  }
}

function report(ctx: CliContext, result: ValidationResult, success: () => void): ExitCode {
  if (ctx.json) {
    line(ctx.io.stdout, JSON.stringify(result.ok ? { ok: true, warnings: result.warnings } : { ok: false, issues: result.issues }, null, 2));
  } else if (result.ok) {
    success();
    writeIssues(ctx.io.stderr, result.warnings, ctx.lang, ctx.lang === 'ja' ? '警告' : 'warning');
  } else {
    writeIssues(ctx.io.stderr, result.issues, ctx.lang, ctx.lang === 'ja' ? 'エラー' : 'error');
  }
  return result.ok ? EXIT_CODES.ok : EXIT_CODES.config;
}

/**
 * `show`: the details screen (システムメールアカウントの詳細), passwords only as 設定済み / 未設定.
 *
 * @param ctx - the run.
 * @returns the exit code.
 */
export async function showCommand(ctx: CliContext): Promise<ExitCode> {
  const details = await (await ctx.store()).describe();
  if (details === undefined) throw notSetUp();
  if (ctx.json) line(ctx.io.stdout, JSON.stringify(details, null, 2));
  else writeDetails(ctx.io.stdout, details, ctx.lang);
  return EXIT_CODES.ok;
}

/** The form to submit: the stored settings as the change screen shows them, with the flags typed over them. */
function formFromFlags(ctx: CliContext, base: Record<string, string>): Record<string, string> {
  const form = { ...base };
  for (const [flag, field] of SETTINGS_FLAGS) {
    const value = flagValue(ctx.args, flag);
    if (value !== undefined) form[field] = value;
  }
  // SMTP AUTH and POP before SMTP are exclusive: choosing one on the command
  // line turns the stored other one off, as picking it on the screen would.
  const mechanism = flagValue(ctx.args, 'smtp-auth-mechanism');
  const pop = flagValue(ctx.args, 'pop-before-smtp');
  if (mechanism !== undefined && !['', 'none'].includes(mechanism.toLowerCase()) && pop === undefined) form['popBeforeSmtp'] = '0';
  if (pop !== undefined && !['0', 'false', 'off', 'no', ''].includes(pop.toLowerCase()) && mechanism === undefined) form['smtpAuthMechanism'] = '';
  for (const source of PASSWORD_SOURCES) {
    const value = ctx.io.env[source.env];
    if (value !== undefined && value !== '') form[source.field] = value;
  }
  return form;
}

/** Asks on the terminal for the passwords validation found missing; false when there is no terminal or the administrator cancelled. */
async function promptMissingPasswords(ctx: CliContext, result: ValidationResult, form: Record<string, string>): Promise<boolean> {
  const stdin = ctx.io.stdin;
  if (result.ok || stdin?.isTTY !== true) return false;
  const missing = PASSWORD_SOURCES.filter((s) =>
    result.issues.some((i) => i.path === s.path && (i.code === 'password.required' || i.code === 'password.reentry-required')),
  );
  if (missing.length === 0) return false;
  for (const source of missing) {
    const label = fieldLabel(source.path)[ctx.lang];
    const value = await promptSecret(stdin, ctx.io.stderr, ctx.lang === 'ja' ? `${label}（表示されません）: ` : `${label} (not echoed): `);
    if (value === undefined || value === '') return false;
    form[source.field] = value;
  }
  return true;
}

/**
 * `set`: saves settings from a JSON file (`--file`) or from flags named after
 * the change screen's fields, over the stored settings. Passwords come from
 * the environment or a no-echo prompt, never from argv.
 *
 * @param ctx - the run.
 * @returns the exit code.
 */
export async function setCommand(ctx: CliContext): Promise<ExitCode> {
  const file = flagValue(ctx.args, 'file');
  const flagged = [...SETTINGS_FLAGS.keys()].filter((f) => ctx.args.flags.has(f));
  if (file !== undefined && flagged.length > 0) {
    throw new CliUsageError({ ja: '--file と項目のオプションは同時に指定できません。', en: '--file cannot be combined with field flags.' });
  }
  if (file === undefined && flagged.length === 0) {
    throw new CliUsageError({ ja: '設定する項目（--smtp-host など）または --file を指定してください。', en: 'Give the fields to set (--smtp-host …) or --file.' });
  }
  const store = await ctx.store();
  let result: ValidationResult;
  if (file !== undefined) {
    result = await store.saveSettings(await readJsonFile(file));
  } else {
    const current = await store.getSettings();
    const form = formFromFlags(ctx, current === undefined ? { use: '1' } : { ...settingsToForm(current) });
    result = await store.submitForm(form);
    if (await promptMissingPasswords(ctx, result, form)) result = await store.submitForm(form);
  }
  return report(ctx, result, () => {
    ctx.say('システムメールアカウントの設定を保存しました。', 'The system mail account settings were saved.');
  });
}

/**
 * `validate`: checks the stored settings, or a JSON file (`--file`) as it
 * would be saved, against the registries; nothing is saved.
 *
 * @param ctx - the run.
 * @returns the exit code.
 */
export async function validateCommand(ctx: CliContext): Promise<ExitCode> {
  const store = await ctx.store();
  const file = flagValue(ctx.args, 'file');
  const stored = await store.getSettings();
  const context = await store.validationContext();
  let result: ValidationResult;
  if (file !== undefined) result = validateSettings(await readJsonFile(file), context, stored);
  else if (stored !== undefined) result = validateSettings(stored, context);
  else throw notSetUp();
  return report(ctx, result, () => ctx.say('設定に問題はありません。', 'The settings are valid.'));
}
