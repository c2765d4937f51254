import { SystemMailStoreError } from './errors.js';
import type { OAuthAccountRef, OAuthTokenState } from './oauth-status.js';
import {
  isSealedSecret,
  macEquals,
  macOf,
  openSecret,
  sealSecret,
  type StoreKeys,
} from './secret-cipher.js';
import type { SystemMailSettings } from './settings-types.js';
import type { MailFeatureServer, OAuthClient } from './validation-context.js';

/** Everything the store holds, decrypted. */
export interface StoreContent {
  /** The system mail account settings, once saved. */
  readonly settings?: SystemMailSettings;
  /** Servers registered for the mail feature. */
  readonly mailServers: readonly MailFeatureServer[];
  /** Registered OAuth clients. */
  readonly oauthClients: readonly OAuthClient[];
  /** OAuth token state per account. */
  readonly oauthTokens: readonly { readonly ref: OAuthAccountRef; readonly state: OAuthTokenState }[];
}

/** The store file's `format` marker. */
export const STORE_FORMAT = 'sysmail-system-mail-store';
/** The store file's format version. */
export const STORE_VERSION = 1;

// Values under these keys are secrets wherever they occur; everything else is stored in clear.
const SECRET_KEYS = new Set(['password', 'clientSecret', 'refreshToken', 'accessToken']);
const KEY_CHECK = 'sysmail store key check';
const KEY_CHECK_PATH = JSON.stringify(['keyCheck']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function seal(value: unknown, path: readonly string[], keys: StoreKeys): unknown {
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => {
        const at = [...path, k];
        return [k, SECRET_KEYS.has(k) && typeof v === 'string' ? sealSecret(keys.encryption, v, JSON.stringify(at)) : seal(v, at, keys)];
      }),
  );
}

function unseal(value: unknown, path: readonly string[], keys: StoreKeys, file: string): unknown {
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => {
      const at = [...path, k];
      if (!SECRET_KEYS.has(k)) {
        if (isSealedSecret(v)) throw tampered(file);
        return [k, unseal(v, at, keys, file)];
      }
      // A secret in clear can only have been put there by hand: refuse rather than trust it.
      if (!isSealedSecret(v)) throw tampered(file);
      const plain = openSecret(keys.encryption, v, JSON.stringify(at));
      if (plain === undefined) throw tampered(file);
      return [k, plain];
    }),
  );
}

/**
 * Serialises the store: secrets sealed with their JSON path as AAD, a key
 * check, and a MAC over the whole document so that no field (a host a stored
 * password would be sent to, say) can be edited behind the store's back.
 *
 * @param content - what to store.
 * @param keys - the derived store keys.
 * @returns the file's text.
 */
export function encodeStore(content: StoreContent, keys: StoreKeys): string {
  // Maps, not object literals: ids come from administrators and may be "__proto__".
  const tokens = new Map<string, Map<string, OAuthTokenState>>();
  for (const { ref, state } of content.oauthTokens) {
    const byAddress = tokens.get(ref.client) ?? new Map<string, OAuthTokenState>();
    tokens.set(ref.client, byAddress.set(ref.address, state));
  }
  const body = {
    format: STORE_FORMAT,
    version: STORE_VERSION,
    keyCheck: sealSecret(keys.encryption, KEY_CHECK, KEY_CHECK_PATH),
    ...(content.settings !== undefined ? { settings: seal(content.settings, ['settings'], keys) } : {}),
    mailServers: seal(Object.fromEntries(content.mailServers.map((s) => [s.id, s])), ['mailServers'], keys),
    oauthClients: seal(Object.fromEntries(content.oauthClients.map((c) => [c.id, c])), ['oauthClients'], keys),
    oauthTokens: seal(Object.fromEntries([...tokens].map(([client, m]) => [client, Object.fromEntries(m)])), ['oauthTokens'], keys),
  };
  return `${JSON.stringify({ ...body, mac: macOf(keys.integrity, body) }, null, 2)}\n`;
}

/**
 * Reads the store file's text, checking key, integrity and every secret.
 *
 * @param text - the file's text.
 * @param keys - the derived store keys.
 * @param file - the file's path, for messages.
 * @returns the decrypted content.
 * @throws SystemMailStoreError `corrupt`, `wrong-key` or `tampered`.
 */
export function decodeStore(text: string, keys: StoreKeys, file: string): StoreContent {
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch {
    // The parser's message quotes the file; it is left out, as is anything else read from it.
    throw corrupt(file);
  }
  if (!isPlainObject(parsed) || parsed['format'] !== STORE_FORMAT || parsed['version'] !== STORE_VERSION) throw corrupt(file);
  const { mac, ...body } = parsed;
  const keyCheck = body['keyCheck'];
  if (!isSealedSecret(keyCheck) || openSecret(keys.encryption, keyCheck, KEY_CHECK_PATH) !== KEY_CHECK) throw wrongKey(file);
  if (typeof mac !== 'string' || !macEquals(mac, macOf(keys.integrity, body))) throw tampered(file);
  const settings = body['settings'];
  const mailServers = body['mailServers'];
  const oauthClients = body['oauthClients'];
  const oauthTokens = body['oauthTokens'];
  if (!isPlainObject(mailServers) || !isPlainObject(oauthClients) || !isPlainObject(oauthTokens)) throw corrupt(file);
  const tokens: { ref: OAuthAccountRef; state: OAuthTokenState }[] = [];
  for (const [client, byAddress] of Object.entries(unseal(oauthTokens, ['oauthTokens'], keys, file) as Record<string, unknown>)) {
    if (!isPlainObject(byAddress)) throw corrupt(file);
    for (const [address, state] of Object.entries(byAddress)) tokens.push({ ref: { client, address }, state: state as OAuthTokenState });
  }
  return {
    ...(settings !== undefined ? { settings: unseal(settings, ['settings'], keys, file) as SystemMailSettings } : {}),
    mailServers: Object.values(unseal(mailServers, ['mailServers'], keys, file) as Record<string, MailFeatureServer>),
    oauthClients: Object.values(unseal(oauthClients, ['oauthClients'], keys, file) as Record<string, OAuthClient>),
    oauthTokens: tokens,
  };
}

function corrupt(file: string): SystemMailStoreError {
  return new SystemMailStoreError('corrupt', {
    ja: `システムメールアカウントの設定ファイル ${file} を読み込めません。形式が正しくありません。`,
    en: `Cannot read the system mail store ${file}: it is not a store file of a supported version.`,
  });
}

function wrongKey(file: string): SystemMailStoreError {
  return new SystemMailStoreError('wrong-key', {
    ja: `システムメールアカウントの設定ファイル ${file} を復号できません。暗号鍵が正しくありません。`,
    en: `Cannot decrypt the system mail store ${file}: the secret key is not the one it was written with.`,
  });
}

function tampered(file: string): SystemMailStoreError {
  return new SystemMailStoreError('tampered', {
    ja: `システムメールアカウントの設定ファイル ${file} が改ざんされているか、破損しています。`,
    en: `The system mail store ${file} has been tampered with or damaged: its integrity check failed.`,
  });
}
