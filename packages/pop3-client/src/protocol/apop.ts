import { createHash } from 'node:crypto';
import { Pop3ProtocolError } from '../errors.js';

// RFC 1939 §7 / RFC 822 msg-id: "<" local "@" domain ">", printable ASCII, no spaces, no nested brackets.
const TIMESTAMP = /^<[\x21-\x3b\x3d\x3f\x41-\x7e]+@[\x21-\x3b\x3d\x3f\x41-\x7e]+>$/;
const CANDIDATE = /<[^<>]*>/;

/**
 * Whether a text is a well-formed APOP timestamp: angle brackets around a
 * non-empty local part, exactly one `@` and a non-empty domain, all printable
 * ASCII without spaces.
 *
 * @param timestamp - the candidate, brackets included
 * @returns true when it may be used for APOP
 */
export function isValidApopTimestamp(timestamp: string): boolean {
  return TIMESTAMP.test(timestamp);
}

/**
 * Finds the APOP timestamp in a greeting's text.
 *
 * @param greeting - the greeting line or its text
 * @returns the timestamp with its brackets, or `undefined` when there is none or it is malformed
 */
export function extractApopTimestamp(greeting: string): string | undefined {
  const candidate = CANDIDATE.exec(greeting)?.[0];
  return candidate !== undefined && isValidApopTimestamp(candidate) ? candidate : undefined;
}

/**
 * The APOP digest of RFC 1939 §7: MD5 of the timestamp followed by the
 * shared secret, in lower-case hex.
 *
 * @param timestamp - the greeting's timestamp, brackets included
 * @param secret - the shared secret (the password)
 * @returns 32 lower-case hex digits
 * @throws {@link Pop3ProtocolError} `invalid-timestamp` for a malformed timestamp
 */
export function apopDigest(timestamp: string, secret: string): string {
  if (!isValidApopTimestamp(timestamp)) {
    throw new Pop3ProtocolError('invalid-timestamp', 'The APOP timestamp is not a well-formed <local@domain> msg-id; APOP cannot be used.', {
      phase: 'auth',
    });
  }
  return createHash('md5').update(timestamp + secret, 'utf8').digest('hex');
}
