import type { SecureVersion } from 'node:tls';

/**
 * TLS settings shared by implicit TLS and STARTTLS/STLS upgrades. Verification
 * is on unless `rejectUnauthorized` is explicitly `false`.
 */
export interface WireTlsOptions {
  /** Trusted CA certificates (PEM) replacing Node's default list; for private CAs and tests. */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  /** The name to verify and send as SNI; defaults to the host connected to. */
  servername?: string;
  /** Set to `false` to accept any certificate. Never do this outside a test. */
  rejectUnauthorized?: boolean;
  /** The lowest TLS version accepted; Node's default (TLS 1.2) when unset. */
  minVersion?: SecureVersion;
  /** A client certificate (PEM), for servers that authenticate clients with SASL EXTERNAL. */
  cert?: string | Uint8Array;
  /** The client certificate's private key (PEM). */
  key?: string | Uint8Array;
}

/** What was negotiated on a TLS connection, for transcripts and diagnostics. */
export interface TlsDetails {
  /** The protocol version, e.g. `TLSv1.3`. */
  protocol: string;
  /** The cipher suite's standard name. */
  cipher: string;
  /** The peer certificate's subject common name, if any. */
  peerSubject: string | undefined;
  /** The peer certificate's issuer common name, if any. */
  peerIssuer: string | undefined;
  /** The peer certificate's expiry date as printed by OpenSSL. */
  peerValidTo: string | undefined;
  /** The peer certificate's SHA-256 fingerprint. */
  peerFingerprint256: string | undefined;
  /** Whether the certificate chain was verified against a trusted CA and the host name. */
  authorized: boolean;
}
