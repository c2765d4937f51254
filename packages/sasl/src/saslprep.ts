import { SaslError } from './sasl-error.js';
import { L_CAT, MAPPED_TO_NOTHING, NON_ASCII_SPACE, PROHIBITED, RAND_AL_CAT } from './stringprep-tables.js';

function inTable(table: readonly number[], codePoint: number): boolean {
  let low = 0;
  let high = table.length / 2 - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const first = table[2 * mid] ?? 0;
    const last = table[2 * mid + 1] ?? 0;
    if (codePoint < first) high = mid - 1;
    else if (codePoint > last) low = mid + 1;
    else return true;
  }
  return false;
}

/**
 * Prepares a username or password with SASLprep (RFC 4013), the stringprep profile
 * SCRAM requires, as a "query": unassigned code points are allowed.
 *
 * Steps: map RFC 3454 table B.1 to nothing and C.1.2 to SPACE, normalize with NFKC,
 * refuse the prohibited output (C.1.2, C.2.1, C.2.2, C.3 to C.9), and apply the
 * bidirectional rule of RFC 3454 section 6. The tables are Unicode 3.2's, as the RFC
 * demands; NFKC is the platform's, which agrees with Unicode 3.2 for every code point
 * assigned in 3.2 (Unicode's normalization stability policy).
 *
 * @param text - the string to prepare
 * @returns the prepared string
 * @throws {@link SaslError} `saslprep-prohibited` for a prohibited character or a bidi violation
 *   (the message names the rule, never the string)
 */
export function saslprep(text: string): string {
  let mapped = '';
  for (const char of text) {
    const cp = char.codePointAt(0) ?? 0;
    if (inTable(MAPPED_TO_NOTHING, cp)) continue;
    mapped += inTable(NON_ASCII_SPACE, cp) ? ' ' : char;
  }
  const normalized = mapped.normalize('NFKC');
  const codePoints = Array.from(normalized, (c) => c.codePointAt(0) ?? 0);
  if (codePoints.some((cp) => inTable(PROHIBITED, cp))) {
    throw new SaslError('saslprep-prohibited', 'SASLprep: the string contains a prohibited character');
  }
  if (codePoints.some((cp) => inTable(RAND_AL_CAT, cp))) {
    const first = codePoints[0] ?? 0;
    const last = codePoints[codePoints.length - 1] ?? 0;
    if (codePoints.some((cp) => inTable(L_CAT, cp)) || !inTable(RAND_AL_CAT, first) || !inTable(RAND_AL_CAT, last)) {
      throw new SaslError('saslprep-prohibited', 'SASLprep: the string violates the bidirectional rule');
    }
  }
  return normalized;
}
