/** The timeout choices of 「タイムアウトまでの時間」, in seconds (SMTP and POP alike). */
export const TIMEOUT_CHOICES = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 120] as const;

/** A timeout the administrator may choose, in seconds. */
export type TimeoutSeconds = (typeof TIMEOUT_CHOICES)[number];

/** The mechanisms offered by 「SMTP認証方式」 besides (設定なし). */
export const SMTP_AUTH_MECHANISMS = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'DIGEST-MD5'] as const;

/** An SMTP authentication mechanism the administrator may choose. */
export type SmtpAuthMechanism = (typeof SMTP_AUTH_MECHANISMS)[number];

/** The choices of 「暗号化通信」: (使用しない), TLSを使用する, STARTTLSを使用する. */
export const ENCRYPTIONS = ['none', 'tls', 'starttls'] as const;

/** How the connection to the outgoing server is encrypted. */
export type Encryption = (typeof ENCRYPTIONS)[number];

/** 送信メールサーバーポート番号 when left empty. */
export const DEFAULT_SMTP_PORT = 25;

/** 受信メールサーバーポート番号 when left empty. */
export const DEFAULT_POP_PORT = 110;

/** タイムアウトまでの時間 of the outgoing server when not chosen. */
export const DEFAULT_SMTP_TIMEOUT_SECONDS: TimeoutSeconds = 10;

/** タイムアウトまでの時間 of the incoming (POP) server when not chosen. */
export const DEFAULT_POP_TIMEOUT_SECONDS: TimeoutSeconds = 10;

/** 送信までの待ち時間 (POP before SMTP) when not chosen. */
export const DEFAULT_POP_WAIT_SECONDS = 0;

/** The largest 送信までの待ち時間 the manual allows (0–10 seconds). */
export const MAX_POP_WAIT_SECONDS = 10;

/** 暗号化通信 when not chosen: (使用しない). */
export const DEFAULT_ENCRYPTION: Encryption = 'none';
