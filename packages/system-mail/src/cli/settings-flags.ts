import { SETTINGS_FORM_FIELDS, type SettingsFormField } from '../settings-form.js';
import type { FlagKind } from './cli-arguments.js';

const PASSWORD_FIELDS = ['password', 'smtpPassword', 'popPassword'] as const;
const BOOLEAN_FIELDS: readonly SettingsFormField[] = ['use', 'oauth', 'popBeforeSmtp', 'popTls', 'popApop'];

/** A password field of the change screen. */
export type PasswordField = (typeof PASSWORD_FIELDS)[number];

/** Each password field with the environment variable it is read from and the settings path validation reports it at. */
export const PASSWORD_SOURCES: readonly { readonly field: PasswordField; readonly env: string; readonly path: string }[] = [
  { field: 'smtpPassword', env: 'SYSMAIL_SMTP_PASSWORD', path: 'server.auth.password' },
  { field: 'popPassword', env: 'SYSMAIL_POP_PASSWORD', path: 'server.auth.pop.password' },
  { field: 'password', env: 'SYSMAIL_ACCOUNT_PASSWORD', path: 'server.password' },
];

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `set`'s flags: every field of the change screen, kebab-cased (`smtpHost` → `--smtp-host`), except the passwords. */
export const SETTINGS_FLAGS: ReadonlyMap<string, SettingsFormField> = new Map(
  SETTINGS_FORM_FIELDS.filter((f) => !(PASSWORD_FIELDS as readonly string[]).includes(f)).map((f) => [kebab(f), f]),
);

/**
 * The flag kinds of `set`'s settings flags, for the argument parser.
 *
 * @returns flag name → kind.
 */
export function settingsFlagSpec(): Record<string, FlagKind> {
  return Object.fromEntries([...SETTINGS_FLAGS].map(([flag, field]) => [flag, BOOLEAN_FIELDS.includes(field) ? 'boolean' : 'string']));
}
