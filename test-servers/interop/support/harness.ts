/**
 * What every interop test file shares: the loaded real servers (a clear
 * failure when they are not running), connection options for each listener,
 * transcripts printed when a test fails, and the POP3 side of end-to-end
 * delivery checks.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { Pop3Client, type Pop3ConnectOptions } from '@sysmail/pop3-client';
import type { SmtpClientOptions } from '@sysmail/smtp-client';
import type { TranscriptEntry } from '@sysmail/wire';
import { loadRealServers, realUser, type RealListener, type RealServers, type RealUser } from '../../real/servers.js';

/**
 * Loads the running harness, or fails with the commands that start it: the
 * suite never skips, since a green run without servers would prove nothing.
 *
 * @returns the run's listeners, users and CA
 */
export function requireRealServers(): RealServers {
  try {
    return loadRealServers();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `The interop suite runs against real Postfix and Dovecot, and they are not available (${reason}).\n` +
        'Start them as root from the repository root, then run the suite in the same shell:\n' +
        '  bash test-servers/real/install.sh\n' +
        '  exports=$(bash test-servers/real/start.sh) && eval "$exports"\n' +
        '  npm run test:interop\n' +
        'Stop them afterwards with: bash test-servers/real/stop.sh "$(dirname "$SYSMAIL_REAL_SERVERS")"',
    );
  }
}

/** The three users whose passwords exercise ASCII, Latin-1 and beyond-Latin-1 UTF-8. */
export const PASSWORD_USERS = ['ascii', 'latin1', 'euro'] as const;

/** Loopback addresses reserved for deliberate login failures, so Dovecot's per-IP penalty never slows the other tests. */
export const FAILING_LOGIN_ADDRESS = { smtp: '127.0.0.2', pop3: '127.0.0.3' } as const;

/**
 * A loopback address no earlier run has used (Linux routes all of 127/8 to lo),
 * for a test that needs Dovecot's per-address auth penalty in a known state:
 * the penalty outlives a run by about 30 s and a success resets it.
 *
 * @returns an address in 127.64.0.0/10
 */
export function freshLoopbackAddress(): string {
  return `127.${randomInt(64, 128)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

/** Generous deadlines: Dovecot delays logins after failures by seconds. */
export const TIMEOUTS = { connect: 15_000, greeting: 20_000, command: 30_000, data: 120_000 } as const;

/** Collects a client's transcript and prints it if the test fails. */
export class TranscriptRecorder {
  readonly #lines: string[] = [];
  readonly listener = (entry: TranscriptEntry): void => {
    this.#lines.push(`${entry.direction === 'client' ? 'C:' : entry.direction === 'server' ? 'S:' : '--'} ${entry.text}`);
  };

  /**
   * Starts a recorder for one test.
   *
   * @param onTestFailed - the test context's hook; the transcript is printed when the test fails
   * @param label - names the connection in the printout
   */
  constructor(onTestFailed: (handler: () => void) => void, label: string) {
    onTestFailed(() => {
      console.error(`--- transcript: ${label} ---\n${this.#lines.join('\n')}`);
    });
  }

  /** @returns the transcript so far */
  text(): string {
    return this.#lines.join('\n');
  }
}

/**
 * Options for an SMTP client on a real listener, trusting the run's CA.
 *
 * @param servers - the run
 * @param listener - the listener to reach
 * @param security - how to protect the link
 * @param recorder - receives the transcript
 * @returns options for `SmtpClient.connect`
 */
export function smtpOptions(
  servers: RealServers,
  listener: RealListener,
  security: SmtpClientOptions['security'],
  recorder?: TranscriptRecorder,
): SmtpClientOptions {
  return {
    host: listener.host,
    port: listener.port,
    security,
    clientName: 'interop.test.sysmail',
    timeouts: TIMEOUTS,
    tls: { ca: servers.tls.ca, servername: servers.tls.servername },
    ...(recorder === undefined ? {} : { onTranscript: recorder.listener }),
  };
}

/**
 * Options for a POP3 client on a real listener, trusting the run's CA.
 *
 * @param servers - the run
 * @param listener - the listener to reach
 * @param security - how to protect the link
 * @param recorder - receives the transcript
 * @returns options for `Pop3Client.connect`
 */
export function popOptions(
  servers: RealServers,
  listener: RealListener,
  security: Pop3ConnectOptions['security'],
  recorder?: TranscriptRecorder,
): Pop3ConnectOptions {
  return {
    host: listener.host,
    port: listener.port,
    security,
    timeouts: TIMEOUTS,
    tls: { ca: servers.tls.ca, servername: servers.tls.servername },
    ...(recorder === undefined ? {} : { onTranscript: recorder.listener }),
  };
}

/** @returns a token unique to this message, to find it in a mailbox */
export function newToken(): string {
  return `interop-${randomUUID()}`;
}

/**
 * A small hand-built message carrying a token header, CRLF line ends.
 *
 * @param from - the From address
 * @param to - the To address
 * @param token - the X-Interop-Token value
 * @param body - the body text, CRLF line ends
 * @returns the message bytes
 */
export function simpleMessage(from: string, to: string, token: string, body = 'Hello from the sysmail interop suite.\r\n'): Uint8Array {
  return new TextEncoder().encode(
    `From: <${from}>\r\nTo: <${to}>\r\nSubject: interop ${token}\r\nDate: ${new Date().toUTCString()}\r\n` +
      `Message-ID: <${token}@interop.test.sysmail>\r\nX-Interop-Token: ${token}\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: text/plain; charset=UTF-8\r\n\r\n${body}`,
  );
}

const latin1 = new TextDecoder('latin1');

/**
 * Splits a message at the blank line that ends its header.
 *
 * @param message - the message bytes, CRLF line ends
 * @returns the header block (without the blank line) and the body bytes
 */
export function splitMessage(message: Uint8Array): { header: string; body: Uint8Array } {
  const text = latin1.decode(message);
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { header: text, body: new Uint8Array() };
  return { header: text.slice(0, end), body: message.subarray(end + 4) };
}

/**
 * Reads a header field, unfolded, from a header block.
 *
 * @param header - the header block
 * @param name - the field name, any case
 * @returns the first such field's value, or undefined
 */
export function headerField(header: string, name: string): string | undefined {
  const unfolded = header.replace(/\r\n([ \t])/g, '$1');
  const line = unfolded.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/**
 * Waits until a message with the token has reached the user's mailbox (Postfix
 * queues, then delivers over LMTP), retrieves it over POP3S with SASL PLAIN (the client refuses non-ASCII passwords in PASS) and
 * deletes it so mailboxes stay small.
 *
 * @param servers - the run
 * @param user - the recipient
 * @param token - the message's X-Interop-Token
 * @param options - `timeoutMs`: how long delivery may take; `keep`: leave the message in the mailbox
 * @returns the message as POP3 returned it
 */
export async function fetchDelivered(
  servers: RealServers,
  user: RealUser,
  token: string,
  { timeoutMs = 30_000, keep = false }: { timeoutMs?: number; keep?: boolean } = {},
): Promise<Uint8Array> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pop = await Pop3Client.connect(popOptions(servers, servers.pop3.pop3s, 'tls'));
    try {
      await pop.login({ username: user.username, password: user.password, method: 'sasl', mechanism: 'PLAIN' });
      const sizes = await pop.list();
      for (const { number: id } of [...sizes].reverse()) {
        const { header } = splitMessage(await pop.top(id, 0));
        if (headerField(header, 'X-Interop-Token') === token) {
          const message = await pop.retrieve(id);
          if (!keep) await pop.delete(id);
          await pop.quit();
          return message;
        }
      }
      await pop.quit();
    } finally {
      await pop.close();
    }
    if (Date.now() > deadline) throw new Error(`No message with X-Interop-Token ${token} reached ${user.address} within ${timeoutMs} ms; see the Postfix log.`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/**
 * Deletes everything in a user's mailbox (leftovers of an earlier failed run).
 *
 * @param servers - the run
 * @param user - whose mailbox
 */
export async function emptyMailbox(servers: RealServers, user: RealUser): Promise<void> {
  const pop = await Pop3Client.connect(popOptions(servers, servers.pop3.pop3s, 'tls'));
  try {
    await pop.login({ username: user.username, password: user.password, method: 'sasl', mechanism: 'PLAIN' });
    const sizes = await pop.list();
    if (sizes.length > 0) await pop.deleteMany(sizes.map((s) => s.number));
    await pop.quit();
  } finally {
    await pop.close();
  }
}

export { realUser };
export type { RealServers, RealUser };
