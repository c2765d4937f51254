import type { Encryption, SmtpAuthMechanism, TimeoutSeconds } from './settings-constants.js';

/**
 * The system mail account settings (システムメールアカウントの変更 screen), as
 * accepted by validation. Passwords are held in clear here; the store encrypts
 * them at rest.
 */
export interface SystemMailSettings {
  /** システムメールアカウント: 使用する (true) or 使用しない (false). */
  readonly use: boolean;
  /** システムメールアドレス: the sender address of every notification. Empty only when not in use. */
  readonly address: string;
  /** Display name put in the From header, if any. */
  readonly displayName?: string;
  /** 使用するメールサーバー. */
  readonly server: ServerSettings;
}

/** 使用するメールサーバー: a server of the mail feature, or one set up for system mail only. */
export type ServerSettings = MailFeatureServerSettings | DedicatedServerSettings;

/** メール用に設定したメールサーバー: reuse a server registered for the mail feature. */
export interface MailFeatureServerSettings {
  /** Discriminant. */
  readonly type: 'mail-feature';
  /** Id of the server in the {@link MailServerRegistry}. Empty only when not in use. */
  readonly serverId: string;
  /** 送信用アカウント, needed when that server uses SMTP authentication. */
  readonly account?: string;
  /** 送信用パスワード, needed when that server uses SMTP authentication. */
  readonly password?: string;
}

/** システムメール用にメールサーバーを設定する: a server set up for system mail only. */
export interface DedicatedServerSettings {
  /** Discriminant. */
  readonly type: 'dedicated';
  /** メールの送信にOAuthを使用する. */
  readonly oauth: OAuthUsage;
  /** 送信メールサーバー. With OAuth, host, port and encryption come from the provider preset. */
  readonly smtp: SmtpServerSettings;
  /** SMTP認証, POP before SMTP, or neither — never both. Always `none` with OAuth. */
  readonly auth: AuthSettings;
}

/** Whether OAuth is used for sending, and with which registered OAuth client. */
export type OAuthUsage = OAuthDisabled | OAuthEnabled;

/** OAuth is not used for sending. */
export interface OAuthDisabled {
  /** Discriminant. */
  readonly enabled: false;
}

/** OAuth is used for sending. */
export interface OAuthEnabled {
  /** Discriminant. */
  readonly enabled: true;
  /** Id of a client in the {@link OAuthClientRegistry}. */
  readonly client: string;
}

/** The outgoing (SMTP) server. */
export interface SmtpServerSettings {
  /** 送信メールサーバー名(SMTP): an IP address or a host name. Empty only when not in use. */
  readonly host: string;
  /** 送信メールサーバーポート番号, 1–65535 (default 25). */
  readonly port: number;
  /** 暗号化通信. */
  readonly encryption: Encryption;
  /** タイムアウトまでの時間, in seconds. */
  readonly timeoutSeconds: TimeoutSeconds;
}

/** Authentication towards the outgoing server. */
export type AuthSettings = NoAuth | SmtpAuthSettings | PopBeforeSmtpSettings;

/** SMTP認証方式 (設定なし) and no POP before SMTP. */
export interface NoAuth {
  /** Discriminant. */
  readonly method: 'none';
}

/** SMTP authentication. */
export interface SmtpAuthSettings {
  /** Discriminant. */
  readonly method: 'smtp-auth';
  /** SMTP認証方式. */
  readonly mechanism: SmtpAuthMechanism;
  /** 送信用アカウント. */
  readonly account: string;
  /** 送信用パスワード. */
  readonly password: string;
}

/** 受信後に送信を行う(POP before SMTP). */
export interface PopBeforeSmtpSettings {
  /** Discriminant. */
  readonly method: 'pop-before-smtp';
  /** 送信までの待ち時間: seconds between the POP login and the start of sending, 0–10. */
  readonly waitSeconds: number;
  /** The incoming (POP3) server. */
  readonly pop: PopServerSettings;
}

/** The incoming (POP3) server used for POP before SMTP. */
export interface PopServerSettings {
  /** 受信メールサーバー名: an IP address or a host name. */
  readonly host: string;
  /** 受信メールサーバーポート番号, 1–65535 (default 110). */
  readonly port: number;
  /** TLSの使用. */
  readonly tls: boolean;
  /** APOP認証を行う. */
  readonly apop: boolean;
  /** 受信用アカウント. */
  readonly account: string;
  /** 受信用パスワード. */
  readonly password: string;
  /** タイムアウトまでの時間, in seconds. */
  readonly timeoutSeconds: TimeoutSeconds;
}
