import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** A secret as stored: AES-256-GCM with its own random 96-bit IV, base64 fields. */
export interface SealedSecret {
  /** Marks the object as a sealed secret and names the algorithm. */
  readonly $enc: 'aes-256-gcm';
  /** The 96-bit IV, base64. */
  readonly iv: string;
  /** The ciphertext, base64. */
  readonly ct: string;
  /** The 128-bit authentication tag, base64. */
  readonly tag: string;
}

/** The keys derived from the store's master key: one per purpose, never the master key itself. */
export interface StoreKeys {
  /** Encrypts the secrets. */
  readonly encryption: Buffer;
  /** Authenticates the whole file. */
  readonly integrity: Buffer;
}

/**
 * Derives the per-purpose keys, so that the GCM key and the file MAC key are
 * independent even though the administrator manages a single secret.
 *
 * @param master - the 32-byte store key.
 * @returns the derived keys.
 */
export function deriveStoreKeys(master: Uint8Array): StoreKeys {
  const derive = (info: string): Buffer => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
  return { encryption: derive('sysmail store secrets v1'), integrity: derive('sysmail store integrity v1') };
}

/**
 * Encrypts one secret, binding `aad` (its JSON path) so that a sealed value
 * moved to another place in the file no longer decrypts.
 *
 * @param key - the encryption key.
 * @param plaintext - the secret.
 * @param aad - the value's JSON path.
 * @returns the sealed value.
 */
export function sealSecret(key: Buffer, plaintext: string, aad: string): SealedSecret {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { $enc: 'aes-256-gcm', iv: iv.toString('base64'), ct: ct.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/**
 * Decrypts a sealed secret.
 *
 * @param key - the encryption key.
 * @param sealed - the stored value.
 * @param aad - the JSON path it was found at.
 * @returns the secret, or undefined when it does not authenticate (wrong key, tampering, moved value).
 */
export function openSecret(key: Buffer, sealed: SealedSecret, aad: string): string | undefined {
  const iv = Buffer.from(sealed.iv, 'base64');
  const tag = Buffer.from(sealed.tag, 'base64');
  if (iv.length !== 12 || tag.length !== 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * Whether a parsed JSON value has the shape of a sealed secret.
 *
 * @param value - any parsed JSON value.
 * @returns true for a sealed secret.
 */
export function isSealedSecret(value: unknown): value is SealedSecret {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v['$enc'] === 'aes-256-gcm' && typeof v['iv'] === 'string' && typeof v['ct'] === 'string' && typeof v['tag'] === 'string';
}

/**
 * JSON with object keys sorted at every level: the same content always gives
 * the same bytes, which the file MAC needs.
 *
 * @param value - a JSON value.
 * @returns its canonical text.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The MAC of a document's canonical form.
 *
 * @param key - the integrity key.
 * @param document - the document without its MAC.
 * @returns the MAC, base64.
 */
export function macOf(key: Buffer, document: unknown): string {
  return createHmac('sha256', key).update(canonicalJson(document), 'utf8').digest('base64');
}

/**
 * Compares two base64 MACs in constant time.
 *
 * @param a - one MAC.
 * @param b - the other.
 * @returns true when equal.
 */
export function macEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'base64');
  const y = Buffer.from(b, 'base64');
  return x.length === y.length && timingSafeEqual(x, y);
}
