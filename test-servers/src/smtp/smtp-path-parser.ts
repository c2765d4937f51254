/** A parsed `MAIL FROM:` / `RCPT TO:` argument. */
export interface ParsedPathArgument {
  /** The path between the angle brackets, as sent (source route dropped); `''` for the null path. */
  readonly address: string;
  /** The ESMTP parameters, keyword upper-cased; a keyword without value maps to `''`. */
  readonly parameters: Record<string, string>;
  /** True when the address holds non-ASCII characters (needs SMTPUTF8). */
  readonly utf8: boolean;
}

// RFC 5321 4.1.2 atext, plus any non-ASCII character for RFC 6531 (the SMTPUTF8 check is the caller's).
const ATEXT = /[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10FFFF}]/u;
const SUBDOMAIN = /^[A-Za-z0-9\u0080-\u{10FFFF}]([A-Za-z0-9\-\u0080-\u{10FFFF}]*[A-Za-z0-9\u0080-\u{10FFFF}])?$/u;
const ESMTP_KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const ESMTP_VALUE = /^[\x21-\x3c\x3e-\x7e\u0080-\u{10FFFF}]+$/u;

/**
 * Parses the argument of MAIL or RCPT after the command word, e.g.
 * `FROM:<"john doe"@example.com> SIZE=120 BODY=8BITMIME`, per RFC 5321 4.1.2: a
 * dot-string or quoted local part, a domain or address literal, an optional (ignored)
 * source route, and space-separated ESMTP parameters.
 *
 * @param argument - everything after `MAIL ` or `RCPT `
 * @param prefix - `FROM:` or `TO:`
 * @param allowNull - whether `<>` is allowed (MAIL only)
 * @returns the parsed argument, or undefined for a syntax error
 */
export function parsePathArgument(argument: string, prefix: 'FROM:' | 'TO:', allowNull: boolean): ParsedPathArgument | undefined {
  if (argument.slice(0, prefix.length).toUpperCase() !== prefix) return undefined;
  let rest = argument.slice(prefix.length);
  if (!rest.startsWith('<')) return undefined;
  const end = closingBracket(rest);
  if (end < 0) return undefined;
  let path = rest.slice(1, end);
  rest = rest.slice(end + 1);
  if (path.startsWith('@')) {
    const colon = path.indexOf(':');
    if (colon < 0) return undefined;
    path = path.slice(colon + 1);
  }
  if (path === '') {
    if (!allowNull) return undefined;
  } else if (!isMailbox(path) && !(prefix === 'TO:' && path.toLowerCase() === 'postmaster')) {
    return undefined;
  }
  const parameters: Record<string, string> = {};
  if (rest !== '') {
    if (!rest.startsWith(' ')) return undefined;
    for (const word of rest.slice(1).split(' ')) {
      if (word === '') continue;
      const equals = word.indexOf('=');
      const keyword = equals < 0 ? word : word.slice(0, equals);
      const value = equals < 0 ? '' : word.slice(equals + 1);
      if (!ESMTP_KEYWORD.test(keyword) || (equals >= 0 && !ESMTP_VALUE.test(value))) return undefined;
      parameters[keyword.toUpperCase()] = value;
    }
  }
  return { address: path, parameters, utf8: /[^\x00-\x7f]/.test(path) };
}

/** The index of the `>` closing the path, skipping quoted strings; -1 if none. */
function closingBracket(text: string): number {
  let quoted = false;
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === '>' && !quoted) return i;
  }
  return -1;
}

function isMailbox(path: string): boolean {
  const at = path.lastIndexOf('@');
  if (at <= 0) return false;
  const local = path.slice(0, at);
  const domain = path.slice(at + 1);
  return isLocalPart(local) && isDomain(domain);
}

function isLocalPart(local: string): boolean {
  if (local.startsWith('"')) {
    if (local.length < 2 || !local.endsWith('"')) return false;
    const inner = local.slice(1, -1);
    for (let i = 0; i < inner.length; i++) {
      const code = inner.codePointAt(i) ?? 0;
      if (code === 0x5c) {
        const next = inner.codePointAt(i + 1);
        if (next === undefined || next < 0x20 || next > 0x7e) return false;
        i++;
      } else if (code === 0x22 || (code < 0x20 && code !== 0x20) || code === 0x7f) {
        return false;
      }
    }
    return true;
  }
  return local.split('.').every((atom) => atom !== '' && [...atom].every((c) => ATEXT.test(c)));
}

function isDomain(domain: string): boolean {
  if (domain.startsWith('[')) return /^\[[\x21-\x5a\x5e-\x7e]+\]$/.test(domain);
  return domain !== '' && domain.split('.').every((label) => SUBDOMAIN.test(label));
}
