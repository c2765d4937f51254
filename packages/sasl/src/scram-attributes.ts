/** One `a=value` attribute of a SCRAM message. */
export interface ScramAttribute {
  /** The single-letter attribute name. */
  readonly name: string;
  /** Everything after `=`. */
  readonly value: string;
}

/** Splits a SCRAM message into its attributes (RFC 5802 section 7), or undefined when one is not `letter=value`. */
export function parseScramAttributes(message: string): ScramAttribute[] | undefined {
  const attributes: ScramAttribute[] = [];
  for (const part of message.split(',')) {
    if (!/^[A-Za-z]=/.test(part)) return undefined;
    attributes.push({ name: part.slice(0, 1), value: part.slice(2) });
  }
  return attributes;
}

/** RFC 5802 `printable`: %x21-2B / %x2D-7E, the nonce alphabet. */
export function isScramNonce(text: string): boolean {
  return /^[\x21-\x2b\x2d-\x7e]+$/.test(text);
}

/** RFC 5802 `posit-number` for the iteration count. */
export function parseIterationCount(text: string): number | undefined {
  return /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : undefined;
}
