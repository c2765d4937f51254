/**
 * Where a test may find a secret without it being a leak: the transcript a client
 * reports, the console and standard streams, an error the project's code created,
 * or a settings view (`describeSettings`).
 */
export type SecretCaptureSource = 'transcript' | 'console' | 'error' | 'settings-view';

/**
 * What the test suite's secret-hygiene check installs on `globalThis` to learn
 * every secret the fake servers are configured with, issue or receive.
 */
export interface TestSecretSink {
  /**
   * Records a secret that must appear in no transcript, console output, error or settings view.
   *
   * @param kind - what the secret is ("SMTP password", "XOAUTH2 response"), named in failures instead of the value
   * @param value - the secret itself
   */
  register(kind: string, value: string): void;
  /**
   * Stops checking one capture source for the rest of the current test.
   *
   * @param source - where the current test deliberately puts a secret
   * @param reason - why that is allowed there
   */
  allow(source: SecretCaptureSource, reason: string): void;
}

/**
 * A global, not a module variable: the hygiene check and the servers must meet even when
 * they were loaded as different module instances (sources and the built package).
 */
const SINK_KEY: unique symbol = Symbol.for('@sysmail/test-servers.test-secret-sink');

type SinkHolder = { [SINK_KEY]?: TestSecretSink };

function sink(): TestSecretSink | undefined {
  return (globalThis as SinkHolder)[SINK_KEY];
}

/**
 * Installs the sink every later {@link registerTestSecret} and {@link allowSecretIn} call reaches.
 *
 * @param target - the hygiene check's sink
 * @returns a function that uninstalls it
 */
export function installTestSecretSink(target: TestSecretSink): () => void {
  (globalThis as SinkHolder)[SINK_KEY] = target;
  return () => {
    if ((globalThis as SinkHolder)[SINK_KEY] === target) delete (globalThis as SinkHolder)[SINK_KEY];
  };
}

function put(kind: string, value: string | undefined): void {
  if (value !== undefined && value !== '') sink()?.register(kind, value);
}

/**
 * Tells the suite's secret-hygiene check about a secret. The fake servers call it for
 * every password, token and client secret they are configured with, issue or receive;
 * outside the hygiene check (a standalone server, the demo) it does nothing.
 *
 * @param kind - what the secret is, named in failures instead of the value
 * @param value - the secret; empty values are ignored
 */
export function registerTestSecret(kind: string, value: string | undefined): void {
  if (value === undefined || value === '' || sink() === undefined) return;
  put(kind, value);
  // Clients put credentials on the wire base64-encoded (LOGIN, AUTH lines, HTTP Basic).
  put(`base64 of a ${kind}`, Buffer.from(value, 'utf8').toString('base64'));
}

/**
 * Opts the current test out of the secret-hygiene check for one capture source. Only for
 * tests that put a secret there on purpose (a test of the scrubber itself); keep the
 * reason specific, since every call is a place where a leak would go unnoticed.
 *
 * @param source - the capture source not to check in the current test
 * @param reason - why the secret is allowed there
 */
export function allowSecretIn(source: SecretCaptureSource, reason: string): void {
  sink()?.allow(source, reason);
}

const PASSWORD_BEARING = new Set(['PLAIN', 'LOGIN', 'CRAM-MD5', 'DIGEST-MD5', 'XOAUTH2', 'OAUTHBEARER']);

/**
 * Registers what a SASL client response reveals: the response as sent (base64) for
 * mechanisms whose every response proves the credentials, and the password, token,
 * CRAM-MD5 digest, DIGEST-MD5 response or SCRAM proof inside it.
 *
 * @param mechanism - the mechanism name as negotiated
 * @param index - which client response of the exchange this is, from 0 (the initial response when there is one)
 * @param response - the decoded client response
 */
export function registerSaslResponseSecrets(mechanism: string, index: number, response: Uint8Array): void {
  if (sink() === undefined || response.length === 0) return;
  const name = mechanism.toUpperCase();
  const text = Buffer.from(response).toString('utf8');
  const encoded = Buffer.from(response).toString('base64');
  if (name === 'LOGIN') {
    // The first LOGIN response is the user name, which is no secret.
    if (index >= 1) registerTestSecret('LOGIN password sent by the client', text);
    return;
  }
  if (PASSWORD_BEARING.has(name)) put(`${name} response`, encoded);
  if (name === 'PLAIN') registerTestSecret('PLAIN password sent by the client', text.split('\0')[2]);
  if (name === 'CRAM-MD5') put('CRAM-MD5 digest', /([0-9a-f]{32})$/i.exec(text)?.[1]);
  if (name === 'DIGEST-MD5') put('DIGEST-MD5 response value', /(?:^|,)\s*response=([0-9a-f]{32})/i.exec(text)?.[1]);
  if (name === 'XOAUTH2' || name === 'OAUTHBEARER') registerTestSecret(`${name} bearer token`, /auth=Bearer ([^\x01]+)/i.exec(text)?.[1]);
  if (name.startsWith('SCRAM-')) {
    const proof = /(?:^|,)p=([A-Za-z0-9+/=]+)$/.exec(text)?.[1];
    if (proof !== undefined) {
      put(`${name} client proof`, proof);
      put(`${name} final response`, encoded);
    }
  }
}
