import type { Mailbox } from '../address-header.js';
import { SystemMailConfigError, SystemMailDisabledError } from '../errors.js';
import { OAUTH_PRESETS } from '../oauth-presets.js';
import type { Encryption, SmtpAuthMechanism, TimeoutSeconds } from '../settings-constants.js';
import type { SettingsSnapshot } from '../settings-store.js';
import type { SystemMailSettings } from '../settings-types.js';
import { validateSettings } from '../validate-settings.js';
import type { ValidationWarning } from '../validation-result.js';

/** The outgoing server a delivery talks to. */
export interface SmtpTarget {
  /** Host name or IP address. */
  readonly host: string;
  /** Port. */
  readonly port: number;
  /** 暗号化通信. */
  readonly encryption: Encryption;
  /** タイムアウトまでの時間, applied to every phase of the session. */
  readonly timeoutSeconds: TimeoutSeconds;
}

/** How the delivery signs in to the outgoing server. */
export type SmtpLogin =
  | {
      /** No SMTP authentication (none at all, or POP before SMTP). */
      readonly kind: 'none';
    }
  | {
      /** SMTP AUTH with an account and password. */
      readonly kind: 'password';
      /** 送信用アカウント. */
      readonly username: string;
      /** 送信用パスワード. */
      readonly password: string;
      /** The mechanism the administrator chose; absent for a mail-feature server (strongest offered). */
      readonly mechanism?: SmtpAuthMechanism;
      /** True when a password may cross an unencrypted link: the administrator's explicit choice, reported as a warning. */
      readonly allowPlaintext: boolean;
    }
  | {
      /** XOAUTH2 / OAUTHBEARER with a token of the OAuth account. */
      readonly kind: 'oauth';
    };

/** The POP before SMTP login that opens the relay. */
export interface PopLogin {
  /** 受信メールサーバー名. */
  readonly host: string;
  /** 受信メールサーバーポート番号. */
  readonly port: number;
  /** TLSの使用: implicit TLS on the configured port. */
  readonly tls: boolean;
  /** APOP認証を行う: APOP only, never USER/PASS. */
  readonly apop: boolean;
  /** 受信用アカウント. */
  readonly account: string;
  /** 受信用パスワード. */
  readonly password: string;
  /** タイムアウトまでの時間 of the POP server. */
  readonly timeoutSeconds: TimeoutSeconds;
  /** 送信までの待ち時間, between the POP QUIT and the SMTP connection. */
  readonly waitSeconds: number;
}

/** Everything a delivery needs, resolved from the stored settings and registries. */
export interface DeliveryPlan {
  /** The sender: the system mail address and display name. */
  readonly from: Mailbox;
  /** The outgoing server. */
  readonly smtp: SmtpTarget;
  /** How to sign in to it. */
  readonly login: SmtpLogin;
  /** The POP before SMTP login, when configured. */
  readonly pop?: PopLogin;
  /** Validation warnings of the stored settings (passwords in clear…). */
  readonly warnings: readonly ValidationWarning[];
}

function notSetUp(): SystemMailConfigError {
  return new SystemMailConfigError({
    ja: 'システムメールアカウントが設定されていません。「システムメールアカウントの変更」で設定してください（system-mail set）。',
    en: 'The system mail account has not been set up yet; set it up first (system-mail set).',
  });
}

function loginOf(settings: SystemMailSettings, snapshot: SettingsSnapshot): { smtp: SmtpTarget; login: SmtpLogin; pop?: PopLogin } {
  const server = settings.server;
  if (server.type === 'mail-feature') {
    const registered = snapshot.context.mailServers.find((s) => s.id === server.serverId);
    // Validation has just proved the server is registered; this only satisfies the type checker.
    if (registered === undefined) throw notSetUp();
    const smtp = registered.smtp;
    if (registered.oauthClient !== undefined) return { smtp, login: { kind: 'oauth' } };
    if (!registered.smtpAuth) return { smtp, login: { kind: 'none' } };
    return {
      smtp,
      login: {
        kind: 'password',
        username: server.account ?? '',
        password: server.password ?? '',
        // The mail feature's server was registered with this link; validation warned about it.
        allowPlaintext: smtp.encryption === 'none',
      },
    };
  }
  const smtp = server.smtp;
  if (server.oauth.enabled) return { smtp, login: { kind: 'oauth' } };
  const auth = server.auth;
  if (auth.method === 'smtp-auth') {
    const clear = auth.mechanism === 'PLAIN' || auth.mechanism === 'LOGIN';
    return {
      smtp,
      login: {
        kind: 'password',
        username: auth.account,
        password: auth.password,
        mechanism: auth.mechanism,
        allowPlaintext: clear && smtp.encryption === 'none',
      },
    };
  }
  if (auth.method === 'pop-before-smtp') {
    return { smtp, login: { kind: 'none' }, pop: { ...auth.pop, waitSeconds: auth.waitSeconds } };
  }
  return { smtp, login: { kind: 'none' } };
}

/**
 * Resolves the stored settings into a delivery plan, checking them again
 * against the current registries (a server or OAuth client may have been
 * removed since they were saved) and the OAuth authorization status.
 *
 * @param snapshot - one consistent read of the store.
 * @returns the plan.
 * @throws SystemMailDisabledError when the account is set to 使用しない.
 * @throws SystemMailConfigError when nothing is stored, the settings break a rule (with the issues), or OAuth is 要認可.
 */
export function planDelivery(snapshot: SettingsSnapshot): DeliveryPlan {
  const stored = snapshot.settings;
  if (stored === undefined) throw notSetUp();
  if (!stored.use) throw new SystemMailDisabledError();
  const checked = validateSettings(stored, snapshot.context);
  if (!checked.ok) {
    throw new SystemMailConfigError(
      {
        ja: 'システムメールアカウントの設定に不備があります。設定を見直してください。',
        en: 'The system mail account settings are incomplete or invalid; correct them.',
      },
      checked.issues,
    );
  }
  const settings = checked.settings;
  const oauth = snapshot.oauth;
  if (oauth !== undefined) {
    const provider = oauth.client?.provider;
    const signIn = provider === undefined ? '' : `（${OAUTH_PRESETS[provider].signInLabel}）`;
    if (oauth.state?.status !== 'authorized') {
      throw new SystemMailConfigError({
        ja: `OAuth認可が「要認可」です。「システムメールアカウントの詳細」でサインイン${signIn}してアクセスを許可してください（system-mail authorize）。`,
        en: `OAuth authorization is required: sign in${provider === undefined ? '' : ` (${OAUTH_PRESETS[provider].signInLabel})`} and grant access on the details screen (system-mail authorize).`,
      });
    }
  }
  const resolved = loginOf(settings, snapshot);
  return {
    from: { address: settings.address, ...(settings.displayName !== undefined ? { name: settings.displayName } : {}) },
    ...resolved,
    warnings: checked.warnings,
  };
}
