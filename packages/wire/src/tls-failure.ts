import { WireError } from './wire-error.js';

const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

const ADVICE: Record<string, string> = {
  CERT_HAS_EXPIRED: "The server's certificate has expired: the server's administrator must renew it.",
  CERT_NOT_YET_VALID: "The server's certificate is not valid yet: check this host's clock and the certificate.",
  ERR_TLS_CERT_ALTNAME_INVALID:
    "The server's certificate is for another name: connect using a name the certificate lists, or set tls.servername to it.",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    "The server's certificate is not signed by a trusted CA: install the CA (tls.ca) or have the server send its full chain.",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    "The server's certificate is not signed by a trusted CA: install the CA (tls.ca) or have the server send its full chain.",
  SELF_SIGNED_CERT_IN_CHAIN: "The server's certificate chain ends in a CA that is not trusted here: pass that CA as tls.ca.",
  DEPTH_ZERO_SELF_SIGNED_CERT: "The server uses a self-signed certificate: pass it as tls.ca to trust it explicitly.",
};

/**
 * Turns a TLS handshake failure into a {@link WireError} whose message says
 * what was wrong with the server's certificate and what to do about it; a
 * connection lost mid-handshake is a transient `reset`, not a TLS failure.
 *
 * @param where - the host and port connected to
 * @param cause - the error Node reported
 * @returns the error to throw
 */
export function describeTlsFailure(where: { host: string; port: number }, cause: Error): WireError {
  const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  if (code !== undefined && CONNECTION_LOST.has(code)) {
    // The peer went away mid-handshake: nothing says its certificate is bad, and trying again may work.
    return new WireError('reset', `The connection to ${where.host}:${where.port} was lost during the TLS handshake (${code}).`, { cause, code });
  }
  const advice = (code !== undefined ? ADVICE[code] : undefined) ?? 'Check that the server speaks TLS on this port and that its certificate is valid.';
  return new WireError('tls', `TLS handshake with ${where.host}:${where.port} failed: ${cause.message}. ${advice}`, { cause, code });
}
