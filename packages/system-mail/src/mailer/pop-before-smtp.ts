import { Pop3Client } from '@sysmail/pop3-client';
import type { PopLogin } from './delivery-plan.js';
import { popFailure } from './delivery-errors.js';
import type { SystemMailTlsOptions, SystemMailTranscriptEntry } from './mailer-types.js';

/** How to reach the POP server besides the settings. */
export interface PopConnectionOptions {
  /** TLS settings (CA…). */
  readonly tls?: SystemMailTlsOptions;
  /** Receives the redacted transcript. */
  readonly onTranscript: (entry: SystemMailTranscriptEntry) => void;
  /** The local address to connect from: the SMTP connection must come from the same one. */
  readonly localAddress?: string;
  /** Aborts the login. */
  readonly signal?: AbortSignal;
}

/**
 * Logs in to the POP server and quits, which is what opens the outgoing
 * server's relay for this client address. APOP is used alone when set — never
 * falling back to USER/PASS, which would send the password the administrator
 * chose APOP to protect; otherwise USER/PASS, over TLS when set. A password in
 * clear (no TLS, no APOP) is the administrator's explicit choice, already
 * reported by validation as a warning.
 *
 * @param pop - the POP before SMTP settings.
 * @param options - TLS, transcript, local address, abort signal.
 * @throws SystemMailDeliveryError (phase `pop-before-smtp`) when the login fails.
 */
export async function loginForPopBeforeSmtp(pop: PopLogin, options: PopConnectionOptions): Promise<void> {
  let client: Pop3Client | undefined;
  try {
    client = await Pop3Client.connect({
      host: pop.host,
      port: pop.port,
      security: pop.tls ? 'tls' : 'none',
      timeouts: pop.timeoutSeconds * 1000,
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      onTranscript: (entry) => options.onTranscript({ protocol: 'pop3', direction: entry.direction, text: entry.text }),
      allowPlaintextAuth: !pop.tls && !pop.apop,
    });
    await client.login({ username: pop.account, password: pop.password, method: pop.apop ? 'apop' : 'user' });
    await client.quit();
  } catch (error) {
    await client?.close();
    throw popFailure(error, pop);
  }
}
