import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { utf8 } from './bytes.js';

/** The hash functions of the SCRAM mechanisms implemented here. */
export type ScramHash = 'sha1' | 'sha256';

/** The keys both halves derive from the salted password (RFC 5802 section 3). */
export interface ScramKeys {
  /** HMAC(SaltedPassword, "Client Key"). */
  readonly clientKey: Uint8Array;
  /** H(ClientKey): what a server stores. */
  readonly storedKey: Uint8Array;
  /** HMAC(SaltedPassword, "Server Key"). */
  readonly serverKey: Uint8Array;
}

/** HMAC with the SCRAM hash. */
export function scramHmac(hash: ScramHash, key: Uint8Array, data: string | Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(hash, key).update(typeof data === 'string' ? utf8(data) : data).digest());
}

/** The SCRAM hash H(). */
export function scramDigest(hash: ScramHash, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(hash).update(data).digest());
}

/** Hi() is PBKDF2 with HMAC and an output as long as the hash (RFC 5802 section 2.2). */
export function scramKeys(hash: ScramHash, preparedPassword: string, salt: Uint8Array, iterations: number): ScramKeys {
  const length = hash === 'sha1' ? 20 : 32;
  const salted = new Uint8Array(pbkdf2Sync(utf8(preparedPassword), salt, iterations, length, hash));
  const clientKey = scramHmac(hash, salted, 'Client Key');
  return { clientKey, storedKey: scramDigest(hash, clientKey), serverKey: scramHmac(hash, salted, 'Server Key') };
}

/** Byte-wise XOR of two equally long arrays (ClientProof = ClientKey XOR ClientSignature). */
export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((byte, i) => byte ^ (b[i] ?? 0));
}
