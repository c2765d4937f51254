/** Non-ASCII text whose every character fits in ISO-8859-1: the case RFC 2831 hashes differently from UTF-8. */
const LATIN1_BEYOND_ASCII = /^(?=.*[\u0080-\u00ff])[\u0000-\u00ff]*$/su;

/**
 * The server's mechanisms as automatic selection should see them. DIGEST-MD5
 * is left out when the username or password has non-ASCII characters that all
 * fit in ISO-8859-1 (`pässwörd`) and CRAM-MD5 is offered: RFC 2831 (and Cyrus
 * SASL) hash such text in its ISO-8859-1 form, Dovecot — the usual SASL backend
 * of Postfix — hashes its UTF-8 bytes, so the same password works on one server
 * and fails on the other, while CRAM-MD5 hashes the UTF-8 bytes everywhere.
 * Otherwise the list is returned unchanged; a mechanism the caller names
 * explicitly is never filtered.
 *
 * @param offered - the mechanisms the server offers
 * @param username - the login name
 * @param password - the password, or undefined for a token login
 * @returns the mechanisms to choose from
 */
export function mechanismsForAutomaticSelection(offered: readonly string[], username: string, password: string | undefined): readonly string[] {
  const ambiguous = LATIN1_BEYOND_ASCII.test(username) || (password !== undefined && LATIN1_BEYOND_ASCII.test(password));
  if (!ambiguous || !offered.some((name) => name.toUpperCase() === 'CRAM-MD5')) return offered;
  return offered.filter((name) => name.toUpperCase() !== 'DIGEST-MD5');
}
