/** Parameters that carry credentials: never kept in the request log. */
const SECRET_PARAMETERS = new Set([
  'client_secret',
  'client_assertion',
  'code',
  'code_verifier',
  'refresh_token',
  'access_token',
  'id_token',
  'assertion',
  'password',
  'authorization',
]);

/** The placeholder that replaces a secret in the log. */
export const REDACTED = '[redacted]';

/** Copies request parameters for the log, replacing every credential by {@link REDACTED}. */
export function redactParams(params: Iterable<[string, string]>): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [name, value] of params) copy[name] = SECRET_PARAMETERS.has(name.toLowerCase()) ? REDACTED : value;
  return copy;
}
