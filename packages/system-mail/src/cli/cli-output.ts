import type { SettingsDetails } from '../describe-settings.js';
import type { SystemMailTranscriptEntry } from '../mailer/mailer-types.js';
import type { ValidationIssue } from '../validation-result.js';
import type { CliLanguage } from './cli-language.js';

/** Where the CLI writes: stdout or stderr. */
export interface CliWriter {
  /** Writes text as is. */
  write(text: string): unknown;
}

/**
 * Writes one line.
 *
 * @param out - the stream.
 * @param text - the line, without its newline.
 */
export function line(out: CliWriter, text = ''): void {
  out.write(`${text}\n`);
}

/**
 * Writes validation issues or warnings, one per line with the field path, so
 * that the administrator sees which field each one is about.
 *
 * @param out - the stream.
 * @param items - the issues or warnings.
 * @param lang - the language.
 * @param prefix - what each line starts with (e.g. `error` / `warning` in the language).
 */
export function writeIssues(out: CliWriter, items: readonly ValidationIssue<string>[], lang: CliLanguage, prefix: string): void {
  for (const item of items) line(out, `${prefix} ${item.path === '' ? '(settings)' : item.path}: ${item.message[lang]}`);
}

/**
 * Writes the details screen as `label: value` lines.
 *
 * @param out - the stream.
 * @param details - the details view.
 * @param lang - the language.
 */
export function writeDetails(out: CliWriter, details: SettingsDetails, lang: CliLanguage): void {
  line(out, details.title[lang]);
  const width = Math.max(...details.items.map((i) => i.label[lang].length));
  for (const item of details.items) line(out, `  ${item.label[lang].padEnd(width)}  ${item.value[lang]}`);
  if (details.oauth.signIn !== undefined && details.oauth.status === 'authorization-required') {
    line(out, lang === 'ja' ? `  → ${details.oauth.signIn.label}: system-mail authorize` : `  → ${details.oauth.signIn.label}: run system-mail authorize`);
  }
}

const ARROWS = { client: 'C:', server: 'S:', info: '* ' } as const;

/**
 * Writes a redacted transcript, one line per entry: `[smtp] C: EHLO …`.
 *
 * @param out - the stream.
 * @param transcript - the entries.
 */
export function writeTranscript(out: CliWriter, transcript: readonly SystemMailTranscriptEntry[]): void {
  for (const entry of transcript) line(out, `[${entry.protocol}] ${ARROWS[entry.direction]} ${entry.text}`);
}
