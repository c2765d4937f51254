import { issue } from './issue-messages.js';
import type { SystemMailSettings } from './settings-types.js';
import { checkSettings } from './validate-settings.js';
import type { ValidationContext } from './validation-context.js';
import type { IssueCode, ValidationIssue, ValidationResult } from './validation-result.js';

/**
 * The names of the fields the change screen (システムメールアカウントの変更)
 * posts, all as strings as typed. Other posted fields (a CSRF token, a submit
 * button) are ignored.
 *
 * - `use`: 使用する — `1` / `true` / `on` / `yes` for true; `0` / `false` / `off` / `no` / empty for false.
 * - `address`, `displayName`.
 * - `serverType`: `mail-feature` or `dedicated` (default `dedicated`).
 * - `serverId`, `account`, `password`: with `mail-feature`.
 * - `oauth` (checkbox), `oauthClient`: with `dedicated`.
 * - `smtpHost`, `smtpPort`, `encryption` (`none` / empty, `tls`, `starttls`), `timeout`: ignored with OAuth except `timeout`.
 * - `smtpAuthMechanism`: empty or `none` for (設定なし), else PLAIN, LOGIN, CRAM-MD5, DIGEST-MD5; `smtpAccount`, `smtpPassword`.
 * - `popBeforeSmtp` (checkbox), `popWait`, `popHost`, `popPort`, `popTls`, `popApop`, `popAccount`, `popPassword`, `popTimeout`.
 *
 * Empty numeric fields take their defaults; empty password fields keep the stored password.
 */
export const SETTINGS_FORM_FIELDS = [
  'use',
  'address',
  'displayName',
  'serverType',
  'serverId',
  'account',
  'password',
  'oauth',
  'oauthClient',
  'smtpHost',
  'smtpPort',
  'encryption',
  'timeout',
  'smtpAuthMechanism',
  'smtpAccount',
  'smtpPassword',
  'popBeforeSmtp',
  'popWait',
  'popHost',
  'popPort',
  'popTls',
  'popApop',
  'popAccount',
  'popPassword',
  'popTimeout',
] as const;

/** The name of one field of the change screen. */
export type SettingsFormField = (typeof SETTINGS_FORM_FIELDS)[number];

/** The change screen's fields as posted: strings as typed, absent when not posted. */
export type SettingsForm = { readonly [F in SettingsFormField]?: string };

const TRUE_WORDS = ['1', 'true', 'on', 'yes'];
const FALSE_WORDS = ['', '0', 'false', 'off', 'no'];
const FULL_WIDTH_DIGIT = /[０-９]/;

class FormReader {
  readonly issues: ValidationIssue[] = [];

  constructor(private readonly fields: Readonly<Record<string, string | undefined>>) {}

  text(name: SettingsFormField): string | undefined {
    const value = Object.hasOwn(this.fields, name) ? this.fields[name] : undefined;
    return typeof value === 'string' ? value : undefined;
  }

  flag(name: SettingsFormField, path: string): boolean {
    const value = (this.text(name) ?? '').trim().toLowerCase();
    if (TRUE_WORDS.includes(value)) return true;
    if (!FALSE_WORDS.includes(value)) this.fail(path, 'invalid-choice');
    return false;
  }

  /** A number typed in a text box or chosen in a list; empty means "the default". */
  number(name: SettingsFormField, path: string, badText: IssueCode): number | undefined {
    const value = (this.text(name) ?? '').trim();
    if (value === '') return undefined;
    if (/^[0-9]+$/.test(value)) return Number(value);
    // The manual asks for half-width digits; full-width ones are a common slip with a Japanese IME.
    this.fail(path, FULL_WIDTH_DIGIT.test(value) && badText === 'port.not-digits' ? 'port.full-width-digits' : badText);
    return undefined;
  }

  fail(path: string, code: IssueCode): void {
    this.issues.push(issue(path, code));
  }
}

function parseEncryption(form: FormReader): string | undefined {
  const value = (form.text('encryption') ?? '').trim().toLowerCase();
  return value === '' ? undefined : value;
}

function parseMechanism(form: FormReader): string | undefined {
  const value = (form.text('smtpAuthMechanism') ?? '').trim();
  if (value === '' || value.toLowerCase() === 'none' || value === '(設定なし)') return undefined;
  return value;
}

function parseAuth(form: FormReader): Record<string, unknown> {
  const mechanism = parseMechanism(form);
  const popBeforeSmtp = form.flag('popBeforeSmtp', 'server.auth.pop');
  if (mechanism !== undefined && popBeforeSmtp) form.fail('server.auth', 'auth.exclusive');
  if (mechanism !== undefined) {
    return {
      method: 'smtp-auth',
      mechanism,
      account: form.text('smtpAccount'),
      password: form.text('smtpPassword'),
    };
  }
  if (!popBeforeSmtp) return { method: 'none' };
  return {
    method: 'pop-before-smtp',
    waitSeconds: form.number('popWait', 'server.auth.waitSeconds', 'wait.invalid'),
    pop: {
      host: form.text('popHost'),
      port: form.number('popPort', 'server.auth.pop.port', 'port.not-digits'),
      tls: form.flag('popTls', 'server.auth.pop.tls'),
      apop: form.flag('popApop', 'server.auth.pop.apop'),
      account: form.text('popAccount'),
      password: form.text('popPassword'),
      timeoutSeconds: form.number('popTimeout', 'server.auth.pop.timeoutSeconds', 'timeout.invalid'),
    },
  };
}

function parseServer(form: FormReader): Record<string, unknown> {
  const type = (form.text('serverType') ?? '').trim() || 'dedicated';
  if (type === 'mail-feature') {
    return { type, serverId: form.text('serverId'), account: form.text('account'), password: form.text('password') };
  }
  // The shared rules report an unknown server type.
  if (type !== 'dedicated') return { type };
  const oauth = form.flag('oauth', 'server.oauth');
  const timeoutSeconds = form.number('timeout', 'server.smtp.timeoutSeconds', 'timeout.invalid');
  // With OAuth the server name, port and encryption are set from the preset whatever was posted,
  // so posted values are not even parsed.
  const smtp = oauth
    ? { timeoutSeconds }
    : {
        host: form.text('smtpHost'),
        port: form.number('smtpPort', 'server.smtp.port', 'port.not-digits'),
        encryption: parseEncryption(form),
        timeoutSeconds,
      };
  return {
    type,
    oauth: oauth ? { enabled: true, client: form.text('oauthClient') } : { enabled: false },
    smtp,
    auth: parseAuth(form),
  };
}

function withoutUndefined(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, withoutUndefined(v)]),
  );
}

/**
 * Validates the change screen's posted fields (see {@link SETTINGS_FORM_FIELDS})
 * with the same rules as {@link validateSettings}; issues are addressed by
 * settings path (`server.smtp.port`), not by form field name. Form-only rules:
 * full-width digits in a port get `port.full-width-digits`, and an SMTP
 * authentication method together with POP before SMTP gets `auth.exclusive`
 * at `server.auth`, naming both fields. Never throws.
 *
 * @param fields - the posted fields, strings as typed.
 * @param context - registered OAuth clients and mail servers.
 * @param previous - the stored settings, whose passwords an empty password field keeps.
 * @returns the accepted settings with warnings, or every issue found.
 */
export function parseSettingsForm(
  fields: Readonly<Record<string, string | undefined>>,
  context: ValidationContext,
  previous?: SystemMailSettings,
): ValidationResult {
  try {
    const form = new FormReader(fields);
    const candidate = withoutUndefined({
      use: form.flag('use', 'use'),
      address: form.text('address'),
      displayName: form.text('displayName'),
      server: parseServer(form),
    });
    return checkSettings(candidate, context, previous, form.issues);
  } catch {
    return { ok: false, issues: [issue('', 'invalid-type')] };
  }
}

/**
 * The change screen's fields pre-filled from stored settings. Password fields
 * are left empty, which keeps the stored passwords when the form is posted back.
 *
 * @param settings - the stored settings.
 * @returns the form fields.
 */
export function settingsToForm(settings: SystemMailSettings): SettingsForm {
  const base = { use: settings.use ? '1' : '0', address: settings.address, displayName: settings.displayName ?? '' };
  const server = settings.server;
  if (server.type === 'mail-feature') {
    return { ...base, serverType: 'mail-feature', serverId: server.serverId, account: server.account ?? '', password: '' };
  }
  const auth = server.auth;
  return {
    ...base,
    serverType: 'dedicated',
    oauth: server.oauth.enabled ? '1' : '0',
    oauthClient: server.oauth.enabled ? server.oauth.client : '',
    smtpHost: server.smtp.host,
    smtpPort: String(server.smtp.port),
    encryption: server.smtp.encryption,
    timeout: String(server.smtp.timeoutSeconds),
    smtpAuthMechanism: auth.method === 'smtp-auth' ? auth.mechanism : '',
    smtpAccount: auth.method === 'smtp-auth' ? auth.account : '',
    smtpPassword: '',
    popBeforeSmtp: auth.method === 'pop-before-smtp' ? '1' : '0',
    ...(auth.method === 'pop-before-smtp'
      ? {
          popWait: String(auth.waitSeconds),
          popHost: auth.pop.host,
          popPort: String(auth.pop.port),
          popTls: auth.pop.tls ? '1' : '0',
          popApop: auth.pop.apop ? '1' : '0',
          popAccount: auth.pop.account,
          popPassword: '',
          popTimeout: String(auth.pop.timeoutSeconds),
        }
      : {}),
  };
}

