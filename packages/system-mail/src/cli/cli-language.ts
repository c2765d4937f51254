/** The languages the CLI speaks. */
export type CliLanguage = 'ja' | 'en';

/**
 * The language from the locale variables, as `LC_ALL` over `LC_MESSAGES`
 * over `LANG` (POSIX precedence): Japanese for `ja*`, else English.
 *
 * @param env - the environment.
 * @returns the language.
 */
export function languageFromEnv(env: Readonly<Record<string, string | undefined>>): CliLanguage {
  const locale = [env['LC_ALL'], env['LC_MESSAGES'], env['LANG']].find((v) => v !== undefined && v !== '') ?? '';
  return locale.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

