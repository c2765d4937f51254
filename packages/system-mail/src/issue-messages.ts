import { fieldLabel } from './field-labels.js';
import type { LocalizedText } from './localized-text.js';
import { TIMEOUT_CHOICES } from './settings-constants.js';
import type { IssueCode, ValidationIssue, ValidationWarning, WarningCode } from './validation-result.js';

const timeoutListJa = TIMEOUT_CHOICES.join('、');
const timeoutListEn = TIMEOUT_CHOICES.join(', ');
const bothAuthJa = '「SMTP認証方式」と「受信後に送信を行う(POP before SMTP)」';
const bothAuthEn = '"SMTP authentication method" and "Send after receiving (POP before SMTP)"';

// Messages name the field but never quote the submitted value: a value may be a secret.
const templates: { readonly [C in IssueCode | WarningCode]: (label: LocalizedText) => LocalizedText } = {
  'unknown-key': (l) => ({ ja: `「${l.ja}」は設定項目ではありません。`, en: `"${l.en}" is not a settings field.` }),
  'invalid-type': (l) => ({ ja: `「${l.ja}」の値の形式が正しくありません。`, en: `${l.en}: the value has the wrong type.` }),
  'invalid-choice': (l) => ({ ja: `「${l.ja}」の選択が正しくありません。`, en: `${l.en}: not one of the choices.` }),
  'address.required': () => ({
    ja: '「システムメールアドレス」は必ず設定してください。',
    en: 'The system mail address is required.',
  }),
  'address.invalid': () => ({
    ja: '「システムメールアドレス」には正しいメールアドレスを入力してください。',
    en: 'The system mail address is not a valid mail address (RFC 5321 mailbox).',
  }),
  'display-name.invalid': (l) => ({
    ja: `「${l.ja}」に改行や制御文字は使用できません。`,
    en: `${l.en} must not contain line breaks or control characters.`,
  }),
  'server-type.invalid': () => ({
    ja: '「使用するメールサーバー」は「メール用に設定したメールサーバー」または「システムメール用にメールサーバーを設定する」から選択してください。',
    en: 'Mail server to use: choose "Mail server configured for mail" or "Set up a mail server for system mail".',
  }),
  'server-id.required': () => ({
    ja: 'メール用に設定したメールサーバーを選択してください。',
    en: 'Choose one of the mail servers configured for mail.',
  }),
  'server-id.unknown': () => ({
    ja: '選択したメールサーバーは、メール用に登録されていません。',
    en: 'The chosen mail server is not registered for the mail feature.',
  }),
  'account.required': (l) => ({ ja: `「${l.ja}」を入力してください。`, en: `${l.en} is required.` }),
  'password.required': (l) => ({ ja: `「${l.ja}」を入力してください。`, en: `${l.en} is required.` }),
  'password.reentry-required': (l) => ({
    ja: `接続先のサーバーが変更されたため、「${l.ja}」を入力し直してください。`,
    en: `The server changed: enter ${l.en} again (a stored password is never sent to a different server).`,
  }),
  'host.required': (l) => ({ ja: `「${l.ja}」を入力してください。`, en: `${l.en} is required.` }),
  'host.invalid': (l) => ({
    ja: `「${l.ja}」には、IPアドレスまたはホスト名を入力してください。`,
    en: `${l.en} must be an IP address or a host name.`,
  }),
  'port.full-width-digits': (l) => ({
    ja: `「${l.ja}」は半角数字で入力してください。全角数字は使用できません。`,
    en: `${l.en}: type the number in half-width digits (0-9); full-width digits are not accepted.`,
  }),
  'port.not-digits': (l) => ({
    ja: `「${l.ja}」は半角数字で入力してください。`,
    en: `${l.en} must be written with the digits 0-9 only.`,
  }),
  'port.out-of-range': (l) => ({
    ja: `「${l.ja}」には1から65535までの数字を入力してください。`,
    en: `${l.en} must be between 1 and 65535.`,
  }),
  'encryption.invalid': () => ({
    ja: '「暗号化通信」は「(使用しない)」「TLSを使用する」「STARTTLSを使用する」から選択してください。',
    en: 'Encrypted communication: choose "not used", "Use TLS" or "Use STARTTLS".',
  }),
  'timeout.invalid': (l) => ({
    ja: `「${l.ja}」は次の秒数から選択してください: ${timeoutListJa}`,
    en: `${l.en} must be one of these seconds: ${timeoutListEn}.`,
  }),
  'auth.method-invalid': () => ({
    ja: '認証の設定が正しくありません。「(設定なし)」、SMTP認証、POP before SMTP認証のいずれかを設定してください。',
    en: 'Authentication must be none, SMTP authentication or POP before SMTP.',
  }),
  'auth.mechanism-invalid': () => ({
    ja: '「SMTP認証方式」は(設定なし)、PLAIN、LOGIN、CRAM-MD5、DIGEST-MD5から選択してください。',
    en: 'SMTP authentication method must be (none), PLAIN, LOGIN, CRAM-MD5 or DIGEST-MD5.',
  }),
  'auth.exclusive': () => ({
    ja: `${bothAuthJa}は同時に設定できません。どちらか片方の認証のみ設定してください。`,
    en: `${bothAuthEn} cannot be used at the same time: set only one of them.`,
  }),
  'auth.foreign-fields': () => ({
    ja: 'SMTP認証とPOP before SMTP認証は同時に使用できません。認証の設定に、もう一方の認証方式の項目が含まれています。',
    en: 'SMTP authentication and POP before SMTP cannot be used together: the authentication settings carry fields of the other method.',
  }),
  'wait.invalid': () => ({
    ja: '「送信までの待ち時間」は0から10までの秒数(整数)で指定してください。',
    en: 'Wait before sending must be a whole number of seconds from 0 to 10.',
  }),
  'oauth.no-clients': () => ({
    ja: 'OAuthクライアントが設定されていないため、「メールの送信にOAuthを使用する」は選択できません。先にOAuthクライアントを追加してください。',
    en: 'No OAuth client is registered, so "Use OAuth for sending mail" cannot be selected. Add an OAuth client first.',
  }),
  'oauth.client-required': () => ({ ja: '「OAuthクライアント」を選択してください。', en: 'Choose an OAuth client.' }),
  'oauth.client-unknown': () => ({
    ja: '選択したOAuthクライアントは登録されていません。',
    en: 'The chosen OAuth client is not registered.',
  }),
  'oauth.auth-not-allowed': () => ({
    ja: 'OAuthを使用する場合、SMTP認証とPOP before SMTP認証は設定できません。',
    en: 'With OAuth, neither SMTP authentication nor POP before SMTP can be set.',
  }),
  'smtp-password.plaintext': () => ({
    ja: '「暗号化通信」が「(使用しない)」のため、「送信用パスワード」が暗号化されずに送信されます。TLSまたはSTARTTLSの使用をお勧めします。',
    en: 'Encrypted communication is off, so the sending password crosses the network unencrypted. Use TLS or STARTTLS.',
  }),
  'pop-password.plaintext': () => ({
    ja: '「TLSの使用」も「APOP認証を行う」も設定されていないため、「受信用パスワード」が暗号化されずに送信されます。',
    en: 'Neither TLS nor APOP is set, so the receiving password crosses the network unencrypted.',
  }),
};

/**
 * Builds an issue for a rule broken at a settings path.
 *
 * @param path - dotted settings path.
 * @param code - the rule.
 * @returns the issue, with its message in both languages.
 */
export function issue(path: string, code: IssueCode): ValidationIssue {
  return { path, code, message: templates[code](fieldLabel(path)) };
}

/**
 * Builds a warning at a settings path.
 *
 * @param path - dotted settings path.
 * @param code - what the warning is about.
 * @returns the warning, with its message in both languages.
 */
export function warning(path: string, code: WarningCode): ValidationWarning {
  return { path, code, message: templates[code](fieldLabel(path)) };
}
