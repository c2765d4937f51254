import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SystemMailStoreError } from './errors.js';

/**
 * Decodes a 32-byte key written in hex (64 digits) or base64.
 *
 * @param text - the key as configured.
 * @param origin - where it came from, for the error message.
 * @returns the key.
 */
export function parseStoreKey(text: string, origin: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(trimmed) || /^[A-Za-z0-9_-]{43}$/.test(trimmed)) {
    const key = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
    if (key.length === 32) return key;
  }
  throw invalidKey(origin);
}

/**
 * The error for a key that is not 32 bytes of base64 or hex.
 *
 * @param origin - where the key came from.
 * @returns the error, to be thrown.
 */
export function invalidKey(origin: string): SystemMailStoreError {
  return new SystemMailStoreError('key-invalid', {
    ja: `${origin} の暗号鍵が正しくありません。32バイトの鍵をbase64または16進数で指定してください。`,
    en: `The secret key from ${origin} is invalid: it must be 32 bytes, in base64 or hex.`,
  });
}

/**
 * Reads the key file, or creates it (mode 0600, refusing to overwrite a file
 * that appeared meanwhile) when `mayCreate` — that is, when there is no store
 * yet whose secrets a new key would orphan.
 *
 * @param path - the key file.
 * @param mayCreate - whether a missing key file may be created.
 * @returns the key.
 */
export async function loadKeyFile(path: string, mayCreate: boolean): Promise<Buffer> {
  try {
    return parseStoreKey(await readFile(path, 'utf8'), path);
  } catch (error) {
    if (!isNotFound(error)) throw asStoreError(error, path);
  }
  if (!mayCreate) {
    throw new SystemMailStoreError('key-missing', {
      ja: `暗号鍵ファイル ${path} がありません。設定ファイルを作成したときの鍵が必要です。`,
      en: `The key file ${path} is missing; the store can only be read with the key it was written with.`,
    });
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(`${key.toString('base64')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return key;
  } catch (error) {
    // Another opener won the race to create it: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadKeyFile(path, false);
    throw asStoreError(error, path);
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function asStoreError(error: unknown, path: string): SystemMailStoreError {
  if (error instanceof SystemMailStoreError) return error;
  return new SystemMailStoreError(
    'io',
    { ja: `暗号鍵ファイル ${path} を読み書きできません。`, en: `Cannot read or write the key file ${path}.` },
    { cause: error },
  );
}
