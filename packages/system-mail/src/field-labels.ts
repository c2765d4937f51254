import type { LocalizedText } from './localized-text.js';

/**
 * The screen labels of the settings fields, by dotted settings path; the
 * Japanese side is the manual's wording. Used by validation messages and by
 * the details view.
 */
export const FIELD_LABELS: { readonly [path: string]: LocalizedText } = {
  use: { ja: 'システムメールアカウント', en: 'System mail account' },
  address: { ja: 'システムメールアドレス', en: 'System mail address' },
  displayName: { ja: '差出人名', en: 'Sender name' },
  server: { ja: '使用するメールサーバー', en: 'Mail server to use' },
  'server.type': { ja: '使用するメールサーバー', en: 'Mail server to use' },
  'server.serverId': { ja: 'メール用に設定したメールサーバー', en: 'Mail server configured for mail' },
  'server.account': { ja: '送信用アカウント', en: 'Sending account' },
  'server.password': { ja: '送信用パスワード', en: 'Sending password' },
  'server.oauth': { ja: 'メールの送信にOAuthを使用する', en: 'Use OAuth for sending mail' },
  'server.oauth.enabled': { ja: 'メールの送信にOAuthを使用する', en: 'Use OAuth for sending mail' },
  'server.oauth.client': { ja: 'OAuthクライアント', en: 'OAuth client' },
  'server.smtp': { ja: '送信メールサーバー', en: 'Outgoing mail server' },
  'server.smtp.host': { ja: '送信メールサーバー名(SMTP)', en: 'Outgoing mail server name (SMTP)' },
  'server.smtp.port': { ja: '送信メールサーバーポート番号', en: 'Outgoing mail server port' },
  'server.smtp.encryption': { ja: '暗号化通信', en: 'Encrypted communication' },
  'server.smtp.timeoutSeconds': { ja: 'タイムアウトまでの時間', en: 'Time until timeout' },
  'server.auth': { ja: 'SMTP認証 / POP before SMTP認証', en: 'SMTP authentication / POP before SMTP' },
  'server.auth.method': { ja: 'SMTP認証 / POP before SMTP認証', en: 'SMTP authentication / POP before SMTP' },
  'server.auth.mechanism': { ja: 'SMTP認証方式', en: 'SMTP authentication method' },
  'server.auth.account': { ja: '送信用アカウント', en: 'Sending account' },
  'server.auth.password': { ja: '送信用パスワード', en: 'Sending password' },
  'server.auth.waitSeconds': { ja: '送信までの待ち時間', en: 'Wait before sending' },
  'server.auth.pop': {
    ja: '受信後に送信を行う(POP before SMTP)',
    en: 'Send after receiving (POP before SMTP)',
  },
  'server.auth.pop.host': { ja: '受信メールサーバー名', en: 'Incoming mail server name' },
  'server.auth.pop.port': { ja: '受信メールサーバーポート番号', en: 'Incoming mail server port' },
  'server.auth.pop.tls': { ja: 'TLSの使用', en: 'Use TLS' },
  'server.auth.pop.apop': { ja: 'APOP認証を行う', en: 'Use APOP authentication' },
  'server.auth.pop.account': { ja: '受信用アカウント', en: 'Receiving account' },
  'server.auth.pop.password': { ja: '受信用パスワード', en: 'Receiving password' },
  'server.auth.pop.timeoutSeconds': {
    ja: 'タイムアウトまでの時間(受信メールサーバー)',
    en: 'Time until timeout (incoming mail server)',
  },
};

/**
 * The label of a settings field, or the path itself for paths without one
 * (unknown keys), so that every message can name its field.
 *
 * @param path - dotted settings path.
 * @returns the field's label in both languages.
 */
export function fieldLabel(path: string): LocalizedText {
  return Object.hasOwn(FIELD_LABELS, path) ? (FIELD_LABELS[path] as LocalizedText) : { ja: path, en: path };
}
