/**
 * @packageDocumentation
 * Scripted fake SMTP, POP3 and OAuth servers with fault injection, and the TLS
 * fixtures, for sysmail's tests, benchmarks and demo. Every server listens on
 * 127.0.0.1, port 0 by default.
 */
export { tlsFixtures, type CertificatePair } from './tls-fixtures.js';
export { ServerConnection } from './server-connection.js';
export { listen, type TestListener } from './test-listener.js';
export { splitForFaults, type OutputFaults } from './output-faults.js';
export * from './smtp/index.js';
export * from './pop3/index.js';
export * from './oauth/index.js';
export * from './replay/index.js';
export {
  registerTestSecret,
  registerSaslResponseSecrets,
  allowSecretIn,
  installTestSecretSink,
  type TestSecretSink,
  type SecretCaptureSource,
} from './test-secrets.js';
