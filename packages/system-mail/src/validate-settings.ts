import { isValidHost, normaliseHost } from './host-syntax.js';
import { issue, warning } from './issue-messages.js';
import { isValidMailbox } from './mailbox-syntax.js';
import { resolveOAuthClient } from './oauth-presets.js';
import {
  DEFAULT_ENCRYPTION,
  DEFAULT_POP_PORT,
  DEFAULT_POP_TIMEOUT_SECONDS,
  DEFAULT_POP_WAIT_SECONDS,
  DEFAULT_SMTP_PORT,
  DEFAULT_SMTP_TIMEOUT_SECONDS,
  ENCRYPTIONS,
  MAX_POP_WAIT_SECONDS,
  SMTP_AUTH_MECHANISMS,
  TIMEOUT_CHOICES,
  type Encryption,
  type SmtpAuthMechanism,
  type TimeoutSeconds,
} from './settings-constants.js';
import type {
  AuthSettings,
  DedicatedServerSettings,
  MailFeatureServerSettings,
  OAuthUsage,
  PopServerSettings,
  ServerSettings,
  SmtpServerSettings,
  SystemMailSettings,
} from './settings-types.js';
import type { ValidationContext } from './validation-context.js';
import type {
  IssueCode,
  ValidationIssue,
  ValidationResult,
  ValidationWarning,
  WarningCode,
} from './validation-result.js';

type Rec = { readonly [key: string]: unknown };

const SMTP_AUTH_KEYS = ['mechanism', 'account', 'password'] as const;
const POP_AUTH_KEYS = ['waitSeconds', 'pop'] as const;

/**
 * One validation run. `strict` is false when the account is set to "don't
 * use": then values that are required only for sending may be missing and
 * dangling registry references are warnings, but every value that is present
 * must still be well-formed, so that what is stored is always a valid model.
 */
class Run {
  readonly issues: ValidationIssue[];
  readonly warnings: ValidationWarning[] = [];

  constructor(
    readonly strict: boolean,
    readonly context: ValidationContext,
    readonly previous: SystemMailSettings | undefined,
    preIssues: readonly ValidationIssue[],
  ) {
    this.issues = [...preIssues];
  }

  fail(path: string, code: IssueCode): void {
    this.issues.push(issue(path, code));
  }

  warn(path: string, code: WarningCode): void {
    this.warnings.push(warning(path, code));
  }

  /** A broken reference is an error when sending depends on it, a warning otherwise. */
  dangling(path: string, code: IssueCode & WarningCode): void {
    if (this.strict) this.fail(path, code);
    else this.warn(path, code);
  }

  /** Reads an object, reporting every key it does not know instead of dropping it. */
  record(value: unknown, path: string, allowed: readonly string[], foreign: readonly string[] = []): Rec | undefined {
    const rec = this.object(value, path);
    if (rec !== undefined) this.keys(rec, path, allowed, foreign);
    return rec;
  }

  object(value: unknown, path: string): Rec | undefined {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Rec;
    this.fail(path, 'invalid-type');
    return undefined;
  }

  keys(value: Rec, path: string, allowed: readonly string[], foreign: readonly string[]): void {
    let foreignSeen = false;
    for (const key of Object.keys(value)) {
      if (allowed.includes(key)) continue;
      if (foreign.includes(key)) foreignSeen = true;
      else this.fail(path === '' ? key : `${path}.${key}`, 'unknown-key');
    }
    if (foreignSeen) this.fail(path, 'auth.foreign-fields');
  }

  string(rec: Rec, key: string, path: string): string | undefined {
    const value = own(rec, key);
    if (value === undefined || typeof value === 'string') return value;
    this.fail(path, 'invalid-type');
    return undefined;
  }

  boolean(rec: Rec, key: string, path: string, fallback: boolean): boolean {
    const value = own(rec, key);
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    this.fail(path, 'invalid-type');
    return fallback;
  }

  host(rec: Rec, key: string, path: string, required: boolean): string {
    const host = (this.string(rec, key, path) ?? '').trim();
    if (host === '') {
      if (required) this.fail(path, 'host.required');
      return '';
    }
    if (!isValidHost(host)) this.fail(path, 'host.invalid');
    return normaliseHost(host);
  }

  port(rec: Rec, key: string, path: string, fallback: number): number {
    const value = own(rec, key);
    if (value === undefined) return fallback;
    if (typeof value !== 'number') {
      this.fail(path, 'invalid-type');
    } else if (!Number.isInteger(value)) {
      this.fail(path, 'port.not-digits');
    } else if (value < 1 || value > 65535) {
      this.fail(path, 'port.out-of-range');
    }
    return typeof value === 'number' ? value : fallback;
  }

  timeout(rec: Rec, key: string, path: string, fallback: TimeoutSeconds): TimeoutSeconds {
    const value = own(rec, key);
    if (value === undefined) return fallback;
    if ((TIMEOUT_CHOICES as readonly unknown[]).includes(value)) return value as TimeoutSeconds;
    this.fail(path, 'timeout.invalid');
    return fallback;
  }

  /** A required account: blank is an error only when sending depends on it. */
  account(rec: Rec, key: string, path: string, required: boolean): string {
    const account = this.string(rec, key, path) ?? '';
    if (account.trim() === '' && required) this.fail(path, 'account.required');
    return account;
  }

  /**
   * A password left empty keeps the stored one, but only towards the same
   * server: otherwise whoever can edit the host could send the stored password
   * to a server of their choosing.
   */
  password(rec: Rec, key: string, path: string, required: boolean, kept: KeptPassword): string {
    const submitted = this.string(rec, key, path) ?? '';
    if (submitted !== '') return submitted;
    if (kept.password !== undefined && kept.password !== '') {
      if (kept.sameServer) return kept.password;
      if (required) this.fail(path, 'password.reentry-required');
      return '';
    }
    if (required) this.fail(path, 'password.required');
    return '';
  }
}

interface KeptPassword {
  readonly password: string | undefined;
  readonly sameServer: boolean;
}

function own(rec: Rec, key: string): unknown {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

function sameHost(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function checkMailFeature(run: Run, rec: Rec): MailFeatureServerSettings {
  const serverId = (run.string(rec, 'serverId', 'server.serverId') ?? '').trim();
  let needsCredentials = false;
  let unencrypted = false;
  if (serverId === '') {
    if (run.strict) run.fail('server.serverId', 'server-id.required');
  } else {
    const server = run.context.mailServers.find((candidate) => candidate.id === serverId);
    if (server === undefined) run.dangling('server.serverId', 'server-id.unknown');
    needsCredentials = server !== undefined && server.smtpAuth && server.oauthClient === undefined;
    unencrypted = server?.smtp.encryption === 'none';
  }
  const required = run.strict && needsCredentials;
  const previous = run.previous?.server;
  const kept: KeptPassword =
    previous?.type === 'mail-feature'
      ? { password: previous.password, sameServer: previous.serverId === serverId }
      : { password: undefined, sameServer: false };
  const account = run.account(rec, 'account', 'server.account', required);
  const password = run.password(rec, 'password', 'server.password', required, kept);
  // The mail feature's server does not say which mechanism it uses: any password over plaintext is worth a warning.
  if (needsCredentials && unencrypted && password !== '') run.warn('server.password', 'smtp-password.plaintext');
  return {
    type: 'mail-feature',
    serverId,
    ...(account !== '' ? { account } : {}),
    ...(password !== '' ? { password } : {}),
  };
}

function checkOAuth(run: Run, value: unknown): OAuthUsage {
  if (value === undefined) return { enabled: false };
  const rec = run.record(value, 'server.oauth', ['enabled', 'client']);
  if (rec === undefined) return { enabled: false };
  const enabled = run.boolean(rec, 'enabled', 'server.oauth.enabled', false);
  if (!enabled) {
    if (own(rec, 'client') !== undefined) run.fail('server.oauth.client', 'unknown-key');
    return { enabled: false };
  }
  // The screen's checkbox cannot be ticked without a registered client, whether or not the account is in use.
  if (run.context.oauthClients.length === 0) run.fail('server.oauth', 'oauth.no-clients');
  const client = (run.string(rec, 'client', 'server.oauth.client') ?? '').trim();
  if (client === '') {
    if (run.strict) run.fail('server.oauth.client', 'oauth.client-required');
  } else if (run.context.oauthClients.length > 0 && !run.context.oauthClients.some((c) => c.id === client)) {
    run.dangling('server.oauth.client', 'oauth.client-unknown');
  }
  return { enabled: true, client };
}

function checkSmtp(run: Run, value: unknown, oauth: OAuthUsage): SmtpServerSettings {
  const rec = value === undefined ? {} : run.record(value, 'server.smtp', ['host', 'port', 'encryption', 'timeoutSeconds']);
  if (rec === undefined) {
    return { host: '', port: DEFAULT_SMTP_PORT, encryption: DEFAULT_ENCRYPTION, timeoutSeconds: DEFAULT_SMTP_TIMEOUT_SECONDS };
  }
  const timeoutSeconds = run.timeout(rec, 'timeoutSeconds', 'server.smtp.timeoutSeconds', DEFAULT_SMTP_TIMEOUT_SECONDS);
  if (oauth.enabled) {
    const client = run.context.oauthClients.find((c) => c.id === oauth.client);
    if (client !== undefined) {
      // The manual: with OAuth only the timeout is editable; the rest is set automatically.
      const resolved = resolveOAuthClient(client);
      return { host: resolved.smtpHost, port: resolved.smtpPort, encryption: resolved.encryption, timeoutSeconds };
    }
  }
  // An OAuth choice that failed is already reported; requiring a host on top would only add noise.
  const host = run.host(rec, 'host', 'server.smtp.host', run.strict && !oauth.enabled);
  const port = run.port(rec, 'port', 'server.smtp.port', DEFAULT_SMTP_PORT);
  const encryptionValue = own(rec, 'encryption');
  let encryption: Encryption = DEFAULT_ENCRYPTION;
  if (encryptionValue !== undefined) {
    if ((ENCRYPTIONS as readonly unknown[]).includes(encryptionValue)) encryption = encryptionValue as Encryption;
    else run.fail('server.smtp.encryption', 'encryption.invalid');
  }
  return { host, port, encryption, timeoutSeconds };
}

function checkPop(run: Run, value: unknown): PopServerSettings {
  const rec =
    run.record(value ?? {}, 'server.auth.pop', ['host', 'port', 'tls', 'apop', 'account', 'password', 'timeoutSeconds']) ?? {};
  const host = run.host(rec, 'host', 'server.auth.pop.host', run.strict);
  const previous = run.previous?.server;
  const previousPop = previous?.type === 'dedicated' && previous.auth.method === 'pop-before-smtp' ? previous.auth.pop : undefined;
  const kept: KeptPassword = {
    password: previousPop?.password,
    sameServer: previousPop !== undefined && sameHost(previousPop.host, host),
  };
  return {
    host,
    port: run.port(rec, 'port', 'server.auth.pop.port', DEFAULT_POP_PORT),
    tls: run.boolean(rec, 'tls', 'server.auth.pop.tls', false),
    apop: run.boolean(rec, 'apop', 'server.auth.pop.apop', false),
    account: run.account(rec, 'account', 'server.auth.pop.account', run.strict),
    password: run.password(rec, 'password', 'server.auth.pop.password', run.strict, kept),
    timeoutSeconds: run.timeout(rec, 'timeoutSeconds', 'server.auth.pop.timeoutSeconds', DEFAULT_POP_TIMEOUT_SECONDS),
  };
}

function checkAuth(run: Run, value: unknown, smtp: SmtpServerSettings): AuthSettings {
  if (value === undefined) return { method: 'none' };
  const shape = run.object(value, 'server.auth');
  if (shape === undefined) return { method: 'none' };
  const method = own(shape, 'method');
  if (method === 'none') {
    run.keys(shape, 'server.auth', ['method'], [...SMTP_AUTH_KEYS, ...POP_AUTH_KEYS]);
    return { method: 'none' };
  }
  if (method === 'smtp-auth') {
    // An auth object carrying the other method's fields is refused, never stripped: the two are exclusive.
    run.keys(shape, 'server.auth', ['method', ...SMTP_AUTH_KEYS], POP_AUTH_KEYS);
    const mechanismValue = own(shape, 'mechanism');
    const mechanism =
      typeof mechanismValue === 'string'
        ? SMTP_AUTH_MECHANISMS.find((m) => m === mechanismValue.toUpperCase())
        : undefined;
    if (mechanism === undefined) run.fail('server.auth.mechanism', 'auth.mechanism-invalid');
    const previous = run.previous?.server;
    const stored =
      previous?.type === 'dedicated' && previous.auth.method === 'smtp-auth'
        ? { host: previous.smtp.host, password: previous.auth.password }
        : undefined;
    const kept: KeptPassword = {
      password: stored?.password,
      sameServer: stored !== undefined && sameHost(stored.host, smtp.host),
    };
    // An invalid mechanism is already an issue, so this stand-in never reaches accepted settings.
    const chosen: SmtpAuthMechanism = mechanism ?? 'PLAIN';
    const account = run.account(shape, 'account', 'server.auth.account', run.strict);
    const password = run.password(shape, 'password', 'server.auth.password', run.strict, kept);
    if ((chosen === 'PLAIN' || chosen === 'LOGIN') && smtp.encryption === 'none') {
      run.warn('server.auth.mechanism', 'smtp-password.plaintext');
    }
    return { method: 'smtp-auth', mechanism: chosen, account, password };
  }
  if (method === 'pop-before-smtp') {
    run.keys(shape, 'server.auth', ['method', ...POP_AUTH_KEYS], SMTP_AUTH_KEYS);
    const wait = own(shape, 'waitSeconds');
    let waitSeconds = DEFAULT_POP_WAIT_SECONDS;
    if (wait !== undefined) {
      if (typeof wait === 'number' && Number.isInteger(wait) && wait >= 0 && wait <= MAX_POP_WAIT_SECONDS) waitSeconds = wait;
      else run.fail('server.auth.waitSeconds', 'wait.invalid');
    }
    const pop = checkPop(run, own(shape, 'pop'));
    if (!pop.tls && !pop.apop) run.warn('server.auth.pop.password', 'pop-password.plaintext');
    return { method: 'pop-before-smtp', waitSeconds, pop };
  }
  run.keys(shape, 'server.auth', ['method', ...SMTP_AUTH_KEYS, ...POP_AUTH_KEYS], []);
  run.fail('server.auth.method', 'auth.method-invalid');
  return { method: 'none' };
}

function checkDedicated(run: Run, rec: Rec): DedicatedServerSettings {
  const oauth = checkOAuth(run, own(rec, 'oauth'));
  const smtp = checkSmtp(run, own(rec, 'smtp'), oauth);
  const auth = checkAuth(run, own(rec, 'auth'), smtp);
  if (oauth.enabled && auth.method !== 'none') run.fail('server.auth', 'oauth.auth-not-allowed');
  return { type: 'dedicated', oauth, smtp, auth };
}

function checkServer(run: Run, value: unknown): ServerSettings {
  const fallback: ServerSettings = {
    type: 'dedicated',
    oauth: { enabled: false },
    smtp: { host: '', port: DEFAULT_SMTP_PORT, encryption: DEFAULT_ENCRYPTION, timeoutSeconds: DEFAULT_SMTP_TIMEOUT_SECONDS },
    auth: { method: 'none' },
  };
  if (value === undefined && !run.strict) return fallback;
  const shape = run.object(value, 'server');
  if (shape === undefined) return fallback;
  const type = own(shape, 'type');
  if (type === 'mail-feature') {
    run.keys(shape, 'server', ['type', 'serverId', 'account', 'password'], []);
    return checkMailFeature(run, shape);
  }
  if (type === 'dedicated') {
    run.keys(shape, 'server', ['type', 'oauth', 'smtp', 'auth'], []);
    return checkDedicated(run, shape);
  }
  run.fail('server.type', 'server-type.invalid');
  return fallback;
}

function checkTopLevel(run: Run, rec: Rec, use: boolean): SystemMailSettings {
  const address = (run.string(rec, 'address', 'address') ?? '').trim();
  if (address === '') {
    if (run.strict) run.fail('address', 'address.required');
  } else if (!isValidMailbox(address)) {
    run.fail('address', 'address.invalid');
  }
  const displayName = (run.string(rec, 'displayName', 'displayName') ?? '').trim();
  if (/[\x00-\x1f\x7f]/.test(displayName)) run.fail('displayName', 'display-name.invalid');
  const server = checkServer(run, own(rec, 'server'));
  return { use, address, ...(displayName !== '' ? { displayName } : {}), server };
}

/**
 * The validation shared by {@link validateSettings} and {@link parseSettingsForm}.
 *
 * @param input - the candidate settings object.
 * @param context - registered OAuth clients and mail servers.
 * @param previous - the stored settings, whose passwords an empty field keeps.
 * @param preIssues - problems the caller already found (form-level ones).
 * @returns the outcome.
 */
export function checkSettings(
  input: unknown,
  context: ValidationContext,
  previous: SystemMailSettings | undefined,
  preIssues: readonly ValidationIssue[],
): ValidationResult {
  try {
    const probe = new Run(true, context, previous, preIssues);
    const rec = probe.record(input, '', ['use', 'address', 'displayName', 'server']);
    if (rec === undefined) return { ok: false, issues: probe.issues };
    const useValue = own(rec, 'use');
    if (typeof useValue !== 'boolean') probe.fail('use', 'invalid-type');
    const use = useValue !== false;
    const run = new Run(use, context, previous, probe.issues);
    const settings = checkTopLevel(run, rec, use);
    return run.issues.length > 0 ? { ok: false, issues: run.issues } : { ok: true, settings, warnings: run.warnings };
  } catch {
    // Hostile inputs (proxies, throwing getters) must not crash the caller: validation never throws.
    return { ok: false, issues: [issue('', 'invalid-type')] };
  }
}

/**
 * Validates a settings object, as a program (CLI, API) would submit it. Unknown
 * keys are reported, never stripped. A password left out or empty keeps the
 * one in `previous`, provided the server it is sent to has not changed.
 *
 * When `use` is false the account is stored as it is: values needed only for
 * sending (address, host, accounts, passwords, server choice) may be blank and
 * references to unregistered servers or clients are warnings — but every value
 * present must be well-formed, and the two authentication methods stay
 * exclusive, so turning the account on later only has to fill in the blanks.
 *
 * @param input - the candidate settings; anything at all, validation never throws.
 * @param context - registered OAuth clients and mail servers.
 * @param previous - the stored settings, when editing.
 * @returns the accepted settings with warnings, or every issue found.
 */
export function validateSettings(
  input: unknown,
  context: ValidationContext,
  previous?: SystemMailSettings,
): ValidationResult {
  return checkSettings(input, context, previous, []);
}
