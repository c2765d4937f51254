import { randomBytes, timingSafeEqual } from 'node:crypto';
import { SaslError } from './sasl-error.js';

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes a string as UTF-8. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Decodes UTF-8 strictly: invalid bytes are the peer's fault, so they become a
 * SaslError instead of a silent U+FFFD or a TypeError.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new SaslError('malformed-challenge', 'the message is not valid UTF-8');
  }
}

/** Decodes bytes one to one into code points U+0000..U+00FF, which never fails. */
export function decodeLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Compares in constant time for equal lengths, so a proof check leaks nothing by timing. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Lower-case hexadecimal. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Standard base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes canonical padded base64, or returns undefined: Node's decoder silently
 * skips garbage, which would let a malformed salt or signature through.
 */
export function fromBase64(text: string): Uint8Array | undefined {
  return BASE64.test(text) ? new Uint8Array(Buffer.from(text, 'base64')) : undefined;
}

/** 128 random bits in base64: the default nonce. */
export function randomNonce(): string {
  return randomBytes(16).toString('base64');
}

const LONE_SURROGATE = /\p{Cs}/u;

/** True when the string is well-formed UTF-16, i.e. has a faithful UTF-8 encoding. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
