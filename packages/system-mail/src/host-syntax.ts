import { isIPv4, isIPv6 } from 'node:net';

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Whether a string is a DNS host name: LDH labels of at most 63 characters,
 * 253 in all, an optional final dot. A name whose last label is all digits is
 * refused, since it can only be a mistyped IPv4 address (`192.0.2.300`).
 *
 * @param name - the candidate host name.
 * @returns true for a syntactically valid host name.
 */
export function isHostName(name: string): boolean {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare.length === 0 || bare.length > 253) return false;
  const labels = bare.split('.');
  if (!labels.every((label) => LABEL.test(label))) return false;
  return !/^\d+$/.test(labels[labels.length - 1] ?? '');
}

/**
 * Whether a string names a server as the manual allows: an IP address (IPv4
 * or IPv6, the latter optionally in brackets) or a host name.
 *
 * @param host - the candidate.
 * @returns true when the host is acceptable.
 */
export function isValidHost(host: string): boolean {
  const unbracketed = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (unbracketed !== host) return isIPv6(unbracketed);
  return isIPv4(host) || isIPv6(host) || isHostName(host);
}

/**
 * Normalises an accepted host for storage: surrounding blanks and IPv6 brackets
 * are removed, since connecting code wants the bare address.
 *
 * @param host - an accepted host.
 * @returns the host as stored.
 */
export function normaliseHost(host: string): string {
  const trimmed = host.trim();
  return trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
}
