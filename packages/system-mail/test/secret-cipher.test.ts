import { describe, expect, it } from 'vitest';
import { canonicalJson, deriveStoreKeys, macOf, openSecret, sealSecret } from '../src/secret-cipher.js';

const keys = deriveStoreKeys(Buffer.alloc(32, 9));

describe('secret cipher (AES-256-GCM per value)', () => {
  it('round-trips a secret at its path', () => {
    const sealed = sealSecret(keys.encryption, 'パスワード p@ss', '["settings","server","password"]');
    expect(openSecret(keys.encryption, sealed, '["settings","server","password"]')).toBe('パスワード p@ss');
  });

  it('uses a fresh 96-bit IV for every value', () => {
    const a = sealSecret(keys.encryption, 'same', 'p');
    const b = sealSecret(keys.encryption, 'same', 'p');
    expect(Buffer.from(a.iv, 'base64')).toHaveLength(12);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toBe(b.ct);
  });

  it('binds the JSON path as AAD: a value moved elsewhere does not open', () => {
    const sealed = sealSecret(keys.encryption, 'secret', '["settings","server","auth","password"]');
    expect(openSecret(keys.encryption, sealed, '["settings","server","auth","pop","password"]')).toBeUndefined();
  });

  it('refuses a changed ciphertext, IV or tag, and a wrong key', () => {
    const sealed = sealSecret(keys.encryption, 'secret', 'p');
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] = (bytes[0] ?? 0) ^ 0x80;
      return bytes.toString('base64');
    };
    expect(openSecret(keys.encryption, { ...sealed, ct: flip(sealed.ct) }, 'p')).toBeUndefined();
    expect(openSecret(keys.encryption, { ...sealed, iv: flip(sealed.iv) }, 'p')).toBeUndefined();
    expect(openSecret(keys.encryption, { ...sealed, tag: flip(sealed.tag) }, 'p')).toBeUndefined();
    expect(openSecret(keys.encryption, { ...sealed, tag: sealed.tag.slice(0, 8) }, 'p')).toBeUndefined();
    expect(openSecret(deriveStoreKeys(Buffer.alloc(32, 8)).encryption, sealed, 'p')).toBeUndefined();
  });

  it('derives distinct keys for encryption and integrity', () => {
    expect(keys.encryption.equals(keys.integrity)).toBe(false);
  });

  it('canonical JSON ignores key order, so the MAC does too', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 'x' }] })).toBe('{"a":[{"c":"x","d":2}],"b":1}');
    expect(macOf(keys.integrity, { a: 1, b: 2 })).toBe(macOf(keys.integrity, { b: 2, a: 1 }));
    expect(macOf(keys.integrity, { a: 1, b: 2 })).not.toBe(macOf(keys.integrity, { a: 1, b: 3 }));
  });
});
