import { SystemMailConfigError } from './errors.js';
import { isValidHost } from './host-syntax.js';
import { OAUTH_PRESETS } from './oauth-presets.js';
import { ENCRYPTIONS, TIMEOUT_CHOICES } from './settings-constants.js';
import type { MailFeatureServer, OAuthClient } from './validation-context.js';

type Check = (value: unknown) => boolean;

const text: Check = (v) => typeof v === 'string' && v.trim() !== '';
const optionalText: Check = (v) => v === undefined || typeof v === 'string';
const port: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
const host: Check = (v) => typeof v === 'string' && isValidHost(v);

const OAUTH_CLIENT_FIELDS: { readonly [K in keyof OAuthClient]-?: Check } = {
  id: text,
  name: optionalText,
  provider: (v) => typeof v === 'string' && Object.hasOwn(OAUTH_PRESETS, v),
  clientId: text,
  clientSecret: optionalText,
  tenant: optionalText,
  authorizeEndpoint: (v) => v === undefined || isUrl(v),
  tokenEndpoint: (v) => v === undefined || isUrl(v),
  smtpHost: (v) => v === undefined || host(v),
  smtpPort: (v) => v === undefined || port(v),
};

const MAIL_SERVER_FIELDS: { readonly [K in keyof MailFeatureServer]-?: Check } = {
  id: text,
  name: text,
  smtp: (v) =>
    typeof v === 'object' &&
    v !== null &&
    Object.keys(v).every((k) => ['host', 'port', 'encryption', 'timeoutSeconds'].includes(k)) &&
    host((v as Record<string, unknown>)['host']) &&
    port((v as Record<string, unknown>)['port']) &&
    (ENCRYPTIONS as readonly unknown[]).includes((v as Record<string, unknown>)['encryption']) &&
    (TIMEOUT_CHOICES as readonly unknown[]).includes((v as Record<string, unknown>)['timeoutSeconds']),
  smtpAuth: (v) => typeof v === 'boolean',
  oauthClient: optionalText,
};

function isUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function checkEntry(entry: unknown, fields: { readonly [key: string]: Check }, what: string, whatJa: string): void {
  const bad =
    typeof entry !== 'object' || entry === null
      ? ['(entry)']
      : [
          ...Object.keys(entry).filter((k) => !Object.hasOwn(fields, k)),
          ...Object.entries(fields)
            .filter(([k, check]) => !check(Object.hasOwn(entry, k) ? (entry as Record<string, unknown>)[k] : undefined))
            .map(([k]) => k),
        ];
  if (bad.length > 0) {
    throw new SystemMailConfigError({
      ja: `${whatJa}の次の項目が正しくありません: ${bad.join(', ')}`,
      en: `Invalid ${what}: check ${bad.join(', ')}.`,
    });
  }
}

/**
 * Refuses an OAuth client entry with missing, malformed or unknown fields.
 *
 * @param client - the entry to register.
 * @throws SystemMailConfigError naming the bad fields (never their values).
 */
export function checkOAuthClient(client: OAuthClient): void {
  checkEntry(client, OAUTH_CLIENT_FIELDS, 'OAuth client', 'OAuthクライアント');
}

/**
 * Refuses a mail server entry with missing, malformed or unknown fields.
 *
 * @param server - the entry to register.
 * @throws SystemMailConfigError naming the bad fields.
 */
export function checkMailServer(server: MailFeatureServer): void {
  checkEntry(server, MAIL_SERVER_FIELDS, 'mail server', 'メールサーバー');
}
