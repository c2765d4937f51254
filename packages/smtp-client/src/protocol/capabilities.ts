import type { SmtpReply } from './reply.js';

/** What a server advertised in its EHLO reply (RFC 5321 §4.1.1.1). */
export interface SmtpCapabilities {
  /** The name the server gave in the first line of its EHLO (or HELO) reply. */
  readonly serverName: string;
  /** Every keyword, upper-cased, with its parameters as sent (`AUTH=` lines merged into `AUTH`). */
  readonly keywords: ReadonlyMap<string, readonly string[]>;
  /** SASL mechanisms from `AUTH` and the legacy `AUTH=` form, upper-cased, without duplicates. */
  readonly authMechanisms: readonly string[];
  /** The SIZE limit in bytes (RFC 1870); `undefined` when SIZE is absent or declares no limit (`SIZE` or `SIZE 0`). */
  readonly maxSize: number | undefined;
  /** Whether SIZE is advertised at all, so that `SIZE=` may be sent. */
  readonly size: boolean;
  /** STARTTLS (RFC 3207). */
  readonly starttls: boolean;
  /** PIPELINING (RFC 2920). */
  readonly pipelining: boolean;
  /** 8BITMIME (RFC 6152). */
  readonly eightBitMime: boolean;
  /** SMTPUTF8 (RFC 6531). */
  readonly smtpUtf8: boolean;
  /** DSN (RFC 3461). */
  readonly dsn: boolean;
  /** CHUNKING, that is BDAT (RFC 3030). */
  readonly chunking: boolean;
  /** ENHANCEDSTATUSCODES (RFC 2034). */
  readonly enhancedStatusCodes: boolean;
}

/**
 * Reads the capabilities out of an EHLO reply. Keywords are matched
 * case-insensitively; unknown keywords are kept in `keywords`.
 *
 * @param reply - the server's 250 reply to EHLO
 * @returns the capabilities
 */
export function parseCapabilities(reply: SmtpReply): SmtpCapabilities {
  const keywords = new Map<string, string[]>();
  const mechanisms: string[] = [];
  for (const line of reply.lines.slice(1)) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    // The legacy form `AUTH=LOGIN PLAIN` (pre-RFC 2554 Outlook) lists mechanisms after '='.
    const legacyAuth = /^AUTH=/i.test(trimmed);
    const [head = '', ...params] = (legacyAuth ? trimmed.slice(5) : trimmed).split(/\s+/);
    const keyword = legacyAuth ? 'AUTH' : head.toUpperCase();
    const values = legacyAuth ? [head, ...params].filter((value) => value !== '') : params;
    const known = keywords.get(keyword) ?? [];
    keywords.set(keyword, [...known, ...values]);
    if (keyword === 'AUTH') {
      for (const mechanism of values) {
        const upper = mechanism.toUpperCase();
        if (!mechanisms.includes(upper)) mechanisms.push(upper);
      }
    }
  }
  const sizeParam = keywords.get('SIZE')?.[0];
  const sizeValue = sizeParam !== undefined && /^\d+$/.test(sizeParam) ? Number(sizeParam) : 0;
  return {
    serverName: (reply.lines[0] ?? '').trim().split(/\s+/)[0] ?? '',
    keywords,
    authMechanisms: mechanisms,
    maxSize: sizeValue > 0 && Number.isSafeInteger(sizeValue) ? sizeValue : undefined,
    size: keywords.has('SIZE'),
    starttls: keywords.has('STARTTLS'),
    pipelining: keywords.has('PIPELINING'),
    eightBitMime: keywords.has('8BITMIME'),
    smtpUtf8: keywords.has('SMTPUTF8'),
    dsn: keywords.has('DSN'),
    chunking: keywords.has('CHUNKING'),
    enhancedStatusCodes: keywords.has('ENHANCEDSTATUSCODES'),
  };
}

/**
 * The capabilities of a server that only speaks HELO (RFC 821): none.
 *
 * @param reply - the server's 250 reply to HELO
 * @returns capabilities with every extension off
 */
export function heloCapabilities(reply: SmtpReply): SmtpCapabilities {
  return parseCapabilities({ ...reply, lines: reply.lines.slice(0, 1) });
}
