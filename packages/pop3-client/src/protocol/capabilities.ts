/** The server's capabilities, from the multi-line answer to CAPA (RFC 2449). */
export interface Pop3Capabilities {
  /** Every capability line as sent. */
  readonly raw: readonly string[];
  /** `USER`: USER/PASS login is offered. */
  readonly user: boolean;
  /** The SASL mechanisms of the `SASL` line, upper-cased (RFC 5034). */
  readonly sasl: readonly string[];
  /** `STLS`: the server can upgrade to TLS (RFC 2595). */
  readonly stls: boolean;
  /** `PIPELINING`: commands may be sent in batches. */
  readonly pipelining: boolean;
  /** `RESP-CODES`: `-ERR` lines carry bracketed response codes. */
  readonly respCodes: boolean;
  /** `TOP` is supported. */
  readonly top: boolean;
  /** `UIDL` is supported. */
  readonly uidl: boolean;
  /** The `IMPLEMENTATION` text, if any. */
  readonly implementation?: string;
  /** The `EXPIRE` policy: `NEVER`, a number of days, optionally followed by `USER`. */
  readonly expire?: string;
  /** The `LOGIN-DELAY` in seconds, optionally followed by `USER`. */
  readonly loginDelay?: string;
}

/**
 * Interprets the lines of a CAPA response. Unknown capabilities stay in `raw`.
 *
 * @param lines - the response's lines, without line endings
 * @returns the capabilities
 */
export function parseCapabilities(lines: readonly string[]): Pop3Capabilities {
  const raw = lines.map((line) => line.trim()).filter((line) => line !== '');
  const capabilities: {
    -readonly [K in keyof Pop3Capabilities]: Pop3Capabilities[K];
  } = { raw, user: false, sasl: [], stls: false, pipelining: false, respCodes: false, top: false, uidl: false };
  for (const line of raw) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const argument = rest.join(' ');
    switch (keyword.toUpperCase()) {
      case 'USER':
        capabilities.user = true;
        break;
      case 'SASL':
        capabilities.sasl = rest.map((name) => name.toUpperCase());
        break;
      case 'STLS':
        capabilities.stls = true;
        break;
      case 'PIPELINING':
        capabilities.pipelining = true;
        break;
      case 'RESP-CODES':
        capabilities.respCodes = true;
        break;
      case 'TOP':
        capabilities.top = true;
        break;
      case 'UIDL':
        capabilities.uidl = true;
        break;
      case 'IMPLEMENTATION':
        capabilities.implementation = argument;
        break;
      case 'EXPIRE':
        capabilities.expire = argument;
        break;
      case 'LOGIN-DELAY':
        capabilities.loginDelay = argument;
        break;
      default:
        break;
    }
  }
  return capabilities;
}
