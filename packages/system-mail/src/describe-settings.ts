import { fieldLabel } from './field-labels.js';
import type { LocalizedText } from './localized-text.js';
import { OAUTH_PRESETS, type OAuthProvider } from './oauth-presets.js';
import { oauthAccountOf, oauthStatusOf, type OAuthAuthorizationStatus, type OAuthTokenState } from './oauth-status.js';
import type { Encryption } from './settings-constants.js';
import type { SystemMailSettings } from './settings-types.js';
import type { ValidationContext } from './validation-context.js';

/** One row of the details screen. */
export interface SettingsDetailItem {
  /** Dotted settings path of the field (`oauth` for the authorization status row). */
  readonly path: string;
  /** The field's label. */
  readonly label: LocalizedText;
  /** The value as displayed; a password only ever as 設定済み / 未設定. */
  readonly value: LocalizedText;
}

/** The OAuth authorization part of the details screen. */
export interface OAuthDetails {
  /** OAuth認可. */
  readonly status: OAuthAuthorizationStatus;
  /** The status as displayed: 要認可 / 認可済み, or a dash when OAuth is not used. */
  readonly label: LocalizedText;
  /** The sign-in button to show, when OAuth is used (Sign in with Google / Microsoft). */
  readonly signIn?: {
    /** The provider to sign in with. */
    readonly provider: OAuthProvider;
    /** The button's text. */
    readonly label: string;
  };
}

/** The details screen (システムメールアカウントの詳細): every field with its label and display value. */
export interface SettingsDetails {
  /** The screen's title. */
  readonly title: LocalizedText;
  /** The rows, in screen order. */
  readonly items: readonly SettingsDetailItem[];
  /** OAuth authorization status and sign-in button. */
  readonly oauth: OAuthDetails;
}

const same = (text: string): LocalizedText => ({ ja: text, en: text });
const yesNo = (on: boolean): LocalizedText => (on ? { ja: '使用する', en: 'Use' } : { ja: '使用しない', en: "Don't use" });
const setNotSet = (on: boolean): LocalizedText => (on ? { ja: '設定する', en: 'Set' } : { ja: '設定しない', en: 'Not set' });
const seconds = (n: number): LocalizedText => ({ ja: `${n}秒`, en: `${n} seconds` });
const secret = (value: string | undefined): LocalizedText =>
  value !== undefined && value !== '' ? { ja: '設定済み', en: 'Set' } : { ja: '未設定', en: 'Not set' };
const text = (value: string | undefined): LocalizedText =>
  value !== undefined && value !== '' ? same(value) : { ja: '未設定', en: 'Not set' };

const ENCRYPTION_LABELS: { readonly [E in Encryption]: LocalizedText } = {
  none: { ja: '(使用しない)', en: '(not used)' },
  tls: { ja: 'TLSを使用する', en: 'Use TLS' },
  starttls: { ja: 'STARTTLSを使用する', en: 'Use STARTTLS' },
};

const STATUS_LABELS: { readonly [S in OAuthAuthorizationStatus]: LocalizedText } = {
  'not-applicable': same('-'),
  'authorization-required': { ja: '要認可', en: 'Authorization required' },
  authorized: { ja: '認可済み', en: 'Authorized' },
};

function serverItems(settings: SystemMailSettings, context: ValidationContext): [string, LocalizedText][] {
  const server = settings.server;
  if (server.type === 'mail-feature') {
    const registered = context.mailServers.find((s) => s.id === server.serverId);
    return [
      ['server.type', { ja: 'メール用に設定したメールサーバー', en: 'Mail server configured for mail' }],
      ['server.serverId', registered !== undefined ? same(registered.name) : text(server.serverId)],
      ['server.account', text(server.account)],
      ['server.password', secret(server.password)],
    ];
  }
  const rows: [string, LocalizedText][] = [
    ['server.type', { ja: 'システムメール用にメールサーバーを設定する', en: 'Set up a mail server for system mail' }],
    ['server.oauth', yesNo(server.oauth.enabled)],
  ];
  if (server.oauth.enabled) {
    const clientId = server.oauth.client;
    const client = context.oauthClients.find((c) => c.id === clientId);
    rows.push(['server.oauth.client', same(client?.name ?? clientId)]);
  }
  rows.push(
    ['server.smtp.host', text(server.smtp.host)],
    ['server.smtp.port', same(String(server.smtp.port))],
    ['server.smtp.encryption', ENCRYPTION_LABELS[server.smtp.encryption]],
    ['server.smtp.timeoutSeconds', seconds(server.smtp.timeoutSeconds)],
  );
  const auth = server.auth;
  rows.push(['server.auth.mechanism', auth.method === 'smtp-auth' ? same(auth.mechanism) : { ja: '(設定なし)', en: '(none)' }]);
  if (auth.method === 'smtp-auth') {
    rows.push(['server.auth.account', text(auth.account)], ['server.auth.password', secret(auth.password)]);
  }
  rows.push(['server.auth.pop', setNotSet(auth.method === 'pop-before-smtp')]);
  if (auth.method === 'pop-before-smtp') {
    rows.push(
      ['server.auth.waitSeconds', seconds(auth.waitSeconds)],
      ['server.auth.pop.host', text(auth.pop.host)],
      ['server.auth.pop.port', same(String(auth.pop.port))],
      ['server.auth.pop.tls', yesNo(auth.pop.tls)],
      ['server.auth.pop.apop', setNotSet(auth.pop.apop)],
      ['server.auth.pop.account', text(auth.pop.account)],
      ['server.auth.pop.password', secret(auth.pop.password)],
      ['server.auth.pop.timeoutSeconds', seconds(auth.pop.timeoutSeconds)],
    );
  }
  return rows;
}

/**
 * The details screen's view of the settings. Passwords appear only as
 * 設定済み / 未設定; no secret (password, client secret, token) is ever part
 * of the result.
 *
 * @param settings - the stored settings.
 * @param context - the registries, for server and client names.
 * @param oauthState - the stored token state of the settings' OAuth account.
 * @returns the rows and the OAuth authorization status.
 */
export function describeSettings(
  settings: SystemMailSettings,
  context: ValidationContext,
  oauthState?: OAuthTokenState,
): SettingsDetails {
  const status = oauthStatusOf(settings, context, oauthState);
  const rows: [string, LocalizedText][] = [
    ['use', yesNo(settings.use)],
    ['address', text(settings.address)],
    ...(settings.displayName !== undefined ? [['displayName', same(settings.displayName)] as [string, LocalizedText]] : []),
    ...serverItems(settings, context),
  ];
  const items: SettingsDetailItem[] = rows.map(([path, value]) => ({ path, label: fieldLabel(path), value }));
  const account = oauthAccountOf(settings, context);
  const provider = context.oauthClients.find((c) => c.id === account?.client)?.provider;
  if (status !== 'not-applicable') {
    items.push({ path: 'oauth', label: { ja: 'OAuth認可', en: 'OAuth authorization' }, value: STATUS_LABELS[status] });
  }
  return {
    title: { ja: 'システムメールアカウントの詳細', en: 'System mail account details' },
    items,
    oauth: {
      status,
      label: STATUS_LABELS[status],
      ...(provider !== undefined && status !== 'not-applicable'
        ? { signIn: { provider, label: OAUTH_PRESETS[provider].signInLabel } }
        : {}),
    },
  };
}
