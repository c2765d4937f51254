import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const directory = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));
const read = (name: string): string => readFileSync(directory + name, 'utf8');

/** A certificate and its private key, PEM. */
export interface CertificatePair {
  /** The certificate, PEM. */
  cert: string;
  /** The private key, PEM. */
  key: string;
}

/**
 * The checked-in TLS fixtures (regenerate with `fixtures/tls/generate.sh`):
 * the test CA clients are told to trust, a valid certificate for localhost,
 * 127.0.0.1 and ::1, and the hostile variants certificate-rejection tests use.
 */
export const tlsFixtures: {
  /** The test CA certificate, PEM: pass it as the client's `tls.ca`. */
  readonly ca: string;
  /** A certificate for localhost / 127.0.0.1 / ::1 signed by the test CA. */
  readonly localhost: CertificatePair;
  /** A certificate for `other.example`, signed by the test CA: a wrong-host failure. */
  readonly otherHost: CertificatePair;
  /** A localhost certificate that expired in 2021, signed by the test CA. */
  readonly expired: CertificatePair;
  /** A localhost certificate signed by a CA the client does not trust. */
  readonly unknownCa: CertificatePair;
} = {
  ca: read('ca.pem'),
  localhost: { cert: read('localhost.pem'), key: read('localhost.key') },
  otherHost: { cert: read('other-host.pem'), key: read('other-host.key') },
  expired: { cert: read('expired.pem'), key: read('expired.key') },
  unknownCa: { cert: read('unknown-ca-localhost.pem'), key: read('unknown-ca-localhost.key') },
};
