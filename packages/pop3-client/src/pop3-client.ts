import type { Readable } from 'node:stream';
import {
  createClientMechanism,
  digestMd5EncodingMatters,
  mechanismNeedsChannelBinding,
  mechanismSendsSecretInClear,
  SaslError,
  selectMechanism,
  type SaslClientMechanism,
  type SaslCredentials,
} from '@sysmail/sasl';
import { describeTlsFailure, resolveTimeouts, Transcript, WireConnection, type DeadlineRestart, type TlsDetails } from '@sysmail/wire';
import {
  Pop3AuthError,
  Pop3ConfigError,
  Pop3ConnectionError,
  Pop3Error,
  Pop3ProtocolError,
  Pop3ResponseError,
  type Pop3Phase,
} from './errors.js';
import { MessageStream } from './message-stream.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_POP3_TIMEOUTS,
  type Pop3ConnectOptions,
  type Pop3LoginOptions,
  type Pop3Security,
  type Pop3TimeoutPhase,
} from './pop3-options.js';
import { apopDigest, extractApopTimestamp } from './protocol/apop.js';
import { parseCapabilities, type Pop3Capabilities } from './protocol/capabilities.js';
import { encodeCommand, encodeMessageCommand, lineCount, messageNumber } from './protocol/command-encoder.js';
import {
  parseScanListing,
  parseStat,
  parseUidListing,
  splitLines,
  type MailboxStat,
  type MessageSize,
  type MessageUid,
} from './protocol/listings.js';
import { ResponseParser } from './protocol/response-parser.js';
import { isTransientCode, type StatusLine } from './protocol/status-line.js';
import { runSaslExchange } from './sasl-exchange.js';
import { handshakeDropped, isDroppedConnection, isWireError, pop3ErrorFromWire } from './wire-error-mapping.js';

/** How many pipelined commands may be unanswered at a time (RFC 2449 PIPELINING). */
export const PIPELINE_WINDOW = 128;

const MAX_CAPA_BYTES = 64 * 1024;
const MAX_LISTING_BYTES = 64 * 1024 * 1024;

/** The answer to a command, as the server sent it. */
export interface Pop3Reply {
  /** The whole status line, secrets redacted. */
  readonly line: string;
  /** The text after `+OK` and any response code. */
  readonly text: string;
  /** The RFC 2449 response code, if any. */
  readonly code: string | undefined;
}

/** What {@link Pop3Client.unsafeDiagnosticChannel} exposes to the probe. */
export interface Pop3DiagnosticChannel {
  /**
   * Writes bytes exactly as given, with no argument checks: for probing servers only.
   *
   * @param text - the raw command text, line endings included
   */
  writeRaw(text: string): Promise<void>;
  /**
   * Reads the next status line, waiting at most `ms` milliseconds without
   * closing the connection when nothing comes.
   *
   * @param ms - how long to wait
   * @returns the line, or `undefined` when nothing arrived in time or the server closed the connection
   */
  readStatus(ms: number): Promise<StatusLine | undefined>;
  /**
   * Upgrades to TLS after a `+OK` to STLS sent with {@link Pop3DiagnosticChannel.writeRaw}, refusing any byte that came early.
   *
   * @throws {@link Pop3ConnectionError} `injection` or `tls`
   */
  upgradeToTls(): Promise<void>;
}

type SessionState = 'authorization' | 'transaction' | 'closed';

/** A multi-line response being read into memory: its un-stuffed pieces, their size, and the most it may hold. */
interface BodyCollector {
  readonly pieces: Uint8Array[];
  size: number;
  readonly limit: number;
}

/**
 * A POP3 client session (RFC 1939, with CAPA, RESP-CODES and PIPELINING of
 * RFC 2449, STLS of RFC 2595 and AUTH of RFC 5034).
 *
 * Create one with {@link Pop3Client.connect}. Commands are serialised: calls
 * made while another is running queue up and never interleave on the wire.
 * Every failure is a {@link Pop3Error}; after a protocol error, a timeout or a
 * connection failure the session is closed and later calls fail at once.
 */
export class Pop3Client {
  readonly #connection: WireConnection;
  readonly #transcript: Transcript;
  readonly #parser = new ResponseParser();
  readonly #timeouts: Record<Pop3TimeoutPhase, number>;
  readonly #options: Pop3ConnectOptions;
  readonly #port: number;
  readonly #maxMessageBytes: number;
  #greeting = '';
  #apopTimestamp: string | undefined;
  #capabilities: Pop3Capabilities | undefined;
  #state: SessionState = 'authorization';
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(connection: WireConnection, options: Pop3ConnectOptions, port: number, timeouts: Record<Pop3TimeoutPhase, number>) {
    this.#connection = connection;
    this.#transcript = connection.transcript;
    this.#options = options;
    this.#port = port;
    this.#timeouts = timeouts;
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /**
   * Connects, reads the greeting and, with `security: 'starttls'`, upgrades
   * to TLS with STLS before returning. STLS that the server does not offer or
   * refuses is an error: the session never continues in plaintext.
   *
   * @param options - where and how to connect
   * @returns a session in the AUTHORIZATION state
   * @throws {@link Pop3ConnectionError}, {@link Pop3TimeoutError}, {@link Pop3ResponseError} (a `-ERR` greeting or STLS refusal),
   *   {@link Pop3ProtocolError} or {@link Pop3ConfigError}
   */
  static async connect(options: Pop3ConnectOptions): Promise<Pop3Client> {
    const security: Pop3Security = options.security ?? 'starttls';
    if (!['none', 'starttls', 'tls'].includes(security)) {
      throw new Pop3ConfigError(`security must be 'none', 'starttls' or 'tls', got ${JSON.stringify(security)}.`, 'connect');
    }
    const port = options.port ?? (security === 'tls' ? 995 : 110);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Pop3ConfigError(`port must be an integer from 1 to 65535, got ${String(port)}.`, 'connect');
    }
    if (typeof options.host !== 'string' || options.host === '') {
      throw new Pop3ConfigError('host is required: the POP3 server name or address.', 'connect');
    }
    let timeouts: Record<Pop3TimeoutPhase, number>;
    try {
      timeouts = resolveTimeouts(options.timeouts, DEFAULT_POP3_TIMEOUTS);
    } catch (error) {
      throw new Pop3ConfigError(error instanceof Error ? error.message : String(error), 'connect');
    }
    const transcript = new Transcript(options.onTranscript);
    let connection: WireConnection;
    try {
      connection = await WireConnection.connect({
        host: options.host,
        port,
        implicitTls: security === 'tls',
        tls: options.tls,
        localAddress: options.localAddress,
        signal: options.signal,
        connectTimeout: timeouts.connect,
        transcript,
      });
    } catch (error) {
      throw isWireError(error) ? pop3ErrorFromWire(error, 'connect') : error;
    }
    const client = new Pop3Client(connection, { ...options, security }, port, timeouts);
    try {
      await client.#readGreeting();
      if (security === 'starttls') await client.#startTls();
    } catch (error) {
      connection.destroy();
      throw error;
    }
    return client;
  }

  /** The greeting line the server sent. */
  get greeting(): string {
    return this.#greeting;
  }

  /** The APOP timestamp of the greeting (`<…@…>`), or `undefined` when it is absent or malformed. */
  get apopTimestamp(): string | undefined {
    return this.#apopTimestamp;
  }

  /** True when the connection runs over TLS (implicit or after STLS). */
  get secure(): boolean {
    return this.#connection.secure;
  }

  /** The negotiated TLS parameters and peer certificate, once secure. */
  get tlsDetails(): TlsDetails | undefined {
    return this.#connection.tlsDetails;
  }

  /** True once the session is over: after `quit()`, `close()` or a failure that closed the connection. */
  get closed(): boolean {
    return this.#state === 'closed' || this.#connection.closed;
  }

  /** True once `login()` succeeded (TRANSACTION state). */
  get authenticated(): boolean {
    return this.#state === 'transaction';
  }

  /**
   * The server's capabilities (CAPA, RFC 2449), cached until STLS or login
   * changes them. A server that does not know CAPA yields an empty list.
   *
   * @returns the parsed capabilities
   */
  capabilities(): Promise<Pop3Capabilities> {
    return this.#enqueue(() => this.#loadCapabilities('command'));
  }

  /**
   * Logs in. `method` `auto` (the default) picks the strongest SASL mechanism
   * the server offers (CAPA SASL), else APOP when the greeting has a valid
   * timestamp, else USER/PASS. A password or token in clear on an unencrypted
   * link is refused before anything is sent unless `allowPlaintextAuth`; APOP
   * without a valid timestamp is refused, never replaced by USER/PASS.
   *
   * @param login - the credentials and the method
   * @throws {@link Pop3AuthError} when refused (with the RESP-CODE; `transient` for `[IN-USE]`, `[LOGIN-DELAY]`, `[SYS/TEMP]`)
   *   or when it cannot be attempted safely
   */
  login(login: Pop3LoginOptions): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#state === 'transaction') throw new Pop3ConfigError('This session is already logged in.', 'auth');
      await this.#login(login);
      this.#state = 'transaction';
      this.#capabilities = undefined;
    });
  }

  /**
   * STAT: how many messages the mailbox holds and their total size.
   *
   * @returns the count and size in octets
   */
  stat(): Promise<MailboxStat> {
    return this.#enqueue(async () => parseStat((await this.#simple('STAT', [], 'command')).text));
  }

  /**
   * LIST: every message's number and size.
   *
   * @returns the scan listings
   */
  list(): Promise<MessageSize[]>;
  /**
   * LIST n: one message's size.
   *
   * @param n - the message number
   * @returns its scan listing
   */
  list(n: number): Promise<MessageSize>;
  list(n?: number): Promise<MessageSize[] | MessageSize> {
    return this.#enqueue(async () => {
      if (n !== undefined) return parseScanListing((await this.#simple('LIST', [messageNumber(n)], 'command')).text);
      return (await this.#multiLine('LIST', [], 'command', MAX_LISTING_BYTES)).map(parseScanListing);
    });
  }

  /**
   * UIDL: every message's unique id.
   *
   * @returns the unique-id listings
   */
  uidl(): Promise<MessageUid[]>;
  /**
   * UIDL n: one message's unique id.
   *
   * @param n - the message number
   * @returns its unique-id listing
   */
  uidl(n: number): Promise<MessageUid>;
  uidl(n?: number): Promise<MessageUid[] | MessageUid> {
    return this.#enqueue(async () => {
      if (n !== undefined) return parseUidListing((await this.#simple('UIDL', [messageNumber(n)], 'command')).text);
      return (await this.#multiLine('UIDL', [], 'command', MAX_LISTING_BYTES)).map(parseUidListing);
    });
  }

  /**
   * RETR: one whole message, un-stuffed, in memory (up to `maxMessageBytes`).
   * A message that arrived in one read is a view of that read's buffer rather
   * than a copy, so it may share its `ArrayBuffer` with the bytes around it
   * (at most one read, 256 KiB): `slice()` it to keep it apart.
   *
   * @param n - the message number
   * @returns the message bytes exactly as stored, with the server's CRLF line endings
   */
  retrieve(n: number): Promise<Uint8Array> {
    return this.#enqueue(() => this.#retrieveBuffered(this.#encode(() => encodeMessageCommand('RETR', n), 'retrieve')));
  }

  /**
   * RETR as a stream: a Readable of the un-stuffed message that reads from
   * the server only as fast as it is consumed. The next command waits until
   * the stream has been read to its end or destroyed. Destroying it early
   * does not close the session: the rest of the message is read and
   * discarded (under the `data` deadline), then the queue moves on.
   *
   * @param n - the message number
   * @returns the message stream; it fails with a {@link Pop3Error} when the server refuses or the transfer breaks
   */
  retrieveStream(n: number): Readable {
    let finished: (error?: unknown) => void = () => undefined;
    const transfer = new Promise<void>((resolve, reject) => {
      finished = (error?: unknown) => (error === undefined ? resolve() : reject(error));
    });
    // The deadline wrapper and the queue observe the transfer; the stream reports its errors itself.
    transfer.catch(() => undefined);
    let settled = false;
    const stream = new MessageStream((error) => {
      settled = true;
      finished(error);
    });
    let command: string;
    try {
      command = this.#encode(() => encodeMessageCommand('RETR', n), 'retrieve');
    } catch (error) {
      stream.fail(error as Error);
      return stream;
    }
    void this.#enqueue(async () => {
      try {
        await this.#command(command, 'retrieve', 'multi');
      } catch (error) {
        stream.fail(error as Error);
        return;
      }
      const bodyDone = this.#deadline('retrieve', this.#timeouts.data, () => transfer);
      stream.start({
        take: () => {
          try {
            return this.#takeBodyChunk('retrieve');
          } catch (error) {
            throw this.#failed(error, 'retrieve');
          }
        },
        fill: () => this.#fill('retrieve').catch((error: unknown) => Promise.reject(this.#failed(error, 'retrieve'))),
      });
      await bodyDone.catch((error: unknown) => {
        if (!settled) stream.destroy(error as Error);
      });
    }).catch(() => undefined);
    return stream;
  }

  /**
   * TOP: a message's header and its first `lines` body lines.
   *
   * @param n - the message number
   * @param lines - how many body lines
   * @returns the bytes, un-stuffed; like {@link Pop3Client.retrieve}'s, possibly a view of the buffer they were read into
   */
  top(n: number, lines: number): Promise<Uint8Array> {
    return this.#enqueue(() =>
      this.#retrieveBuffered(this.#encode(() => encodeCommand('TOP', [{ value: messageNumber(n) }, { value: lineCount(lines) }]), 'retrieve')),
    );
  }

  /**
   * DELE: marks a message deleted; the server removes it only when `quit()` succeeds.
   *
   * @param n - the message number
   * @returns the server's answer
   */
  delete(n: number): Promise<Pop3Reply> {
    return this.#enqueue(() => this.#simple('DELE', [messageNumber(n)], 'command'));
  }

  /**
   * RSET: unmarks every message marked deleted in this session.
   *
   * @returns the server's answer
   */
  reset(): Promise<Pop3Reply> {
    return this.#enqueue(() => this.#simple('RSET', [], 'command'));
  }

  /**
   * NOOP: keeps the session alive and checks that the server answers.
   *
   * @returns the server's answer
   */
  noop(): Promise<Pop3Reply> {
    return this.#enqueue(() => this.#simple('NOOP', [], 'command'));
  }

  /**
   * Retrieves several messages, pipelined with up to {@link PIPELINE_WINDOW}
   * commands unanswered when the server advertises PIPELINING, one at a time otherwise.
   * Every reply is read even when one fails, so the session stays in step;
   * the first failure is then thrown. Like {@link Pop3Client.retrieve}'s, the
   * messages may be views of the buffers they were read into.
   *
   * @param ids - message numbers
   * @returns the messages, in the order of `ids`
   */
  retrieveMany(ids: readonly number[]): Promise<Uint8Array[]> {
    return this.#enqueue(
      async () =>
        (await this.#pipelined(
          this.#encode(() => ids.map((n) => encodeMessageCommand('RETR', n)), 'retrieve'),
          'retrieve',
          this.#maxMessageBytes,
        )) as Uint8Array[],
    );
  }

  /**
   * Marks several messages deleted, pipelined like {@link Pop3Client.retrieveMany}.
   *
   * @param ids - message numbers
   * @returns the server's answers, in the order of `ids`
   */
  deleteMany(ids: readonly number[]): Promise<Pop3Reply[]> {
    return this.#enqueue(
      async () =>
        (await this.#pipelined(
          this.#encode(() => ids.map((n) => encodeMessageCommand('DELE', n)), 'command'),
          'command',
          undefined,
        )) as Pop3Reply[],
    );
  }

  /**
   * QUIT: ends the session. In the TRANSACTION state the server now removes
   * the messages marked deleted; a `-ERR` means it could not, and is thrown.
   * The connection is closed either way.
   *
   * @returns the server's `+OK` answer
   * @throws {@link Pop3ResponseError} when the server answered `-ERR` (deletions not committed)
   */
  quit(): Promise<Pop3Reply> {
    return this.#enqueue(async () => {
      try {
        return await this.#simple('QUIT', [], 'quit');
      } finally {
        this.#state = 'closed';
        await this.#connection.close();
      }
    });
  }

  /**
   * Closes the connection at once without QUIT: messages marked deleted stay
   * in the mailbox. Whatever is in flight fails. Idempotent.
   */
  async close(): Promise<void> {
    this.#state = 'closed';
    await this.#connection.close();
  }

  /**
   * Low-level access for `scripts/pop3-probe.ts`'s server checks (STLS command
   * injection, pipelining): raw writes and status reads that bypass the
   * command queue and every argument check. Do not use it in applications.
   *
   * @returns the diagnostic channel
   */
  unsafeDiagnosticChannel(): Pop3DiagnosticChannel {
    let pendingRead: Promise<Uint8Array | null> | undefined;
    return {
      writeRaw: async (text) => {
        for (const line of text.split(/(?<=\n)/)) this.#transcript.client(line.replace(/\r?\n$/, ''));
        await this.#connection.write(text);
      },
      readStatus: async (ms) => {
        for (;;) {
          const status = this.#parser.readStatus();
          if (status !== undefined) {
            this.#transcript.server(status.line);
            return status;
          }
          pendingRead ??= this.#connection.read();
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
          const chunk = await Promise.race([pendingRead, timeout]).finally(() => clearTimeout(timer));
          if (chunk === 'timeout') return undefined;
          pendingRead = undefined;
          if (chunk === null) return undefined;
          this.#parser.feed(chunk);
        }
      },
      upgradeToTls: async () => {
        try {
          await this.#connection.upgradeToTls({ tls: this.#options.tls, pendingBytes: this.#parser.bufferedBytes });
        } catch (error) {
          throw this.#failed(this.#handshakeFailure(error), 'stls');
        }
      },
    };
  }

  async #readGreeting(): Promise<void> {
    const status = await this.#deadline('greeting', this.#timeouts.greeting, () => this.#readStatus('greeting'));
    this.#greeting = status.line;
    if (status.type === 'continuation') {
      throw this.#protocolFailure('unexpected-response', `The server's greeting is a SASL continuation, not +OK: ${status.line}`, 'greeting');
    }
    if (status.type === 'err') {
      throw new Pop3ResponseError(
        `The server refused the session in its greeting: ${status.line}. ${isTransientCode(status.code) ? 'This is temporary: try again later.' : 'Ask the server administrator.'}`,
        { phase: 'greeting', response: status.line, code: status.code, transient: isTransientCode(status.code) },
      );
    }
    this.#apopTimestamp = extractApopTimestamp(status.text);
  }

  async #startTls(): Promise<void> {
    const capabilities = await this.#loadCapabilities('stls');
    if (!capabilities.stls) {
      throw new Pop3ConnectionError(
        `The server at ${this.#options.host}:${this.#port} does not offer STLS, so a protected session is impossible on this port. ` +
          "Use security 'tls' (port 995) if the server offers it; choosing 'none' would send everything in clear.",
        'tls',
        { phase: 'stls' },
      );
    }
    const status = await this.#deadline('stls', this.#timeouts.command, async () => {
      await this.#send('STLS\r\n');
      return this.#readStatus('stls');
    });
    if (status.type !== 'ok') {
      throw new Pop3ResponseError(
        `The server refused STLS: ${status.line}. The session was not continued in plaintext; ask the server administrator, or use security 'tls'.`,
        { phase: 'stls', response: status.line, code: status.type === 'err' ? status.code : undefined, transient: status.type === 'err' && isTransientCode(status.code) },
      );
    }
    try {
      await this.#connection.withDeadline('stls', this.#timeouts.command, () =>
        this.#connection.upgradeToTls({ tls: this.#options.tls, pendingBytes: this.#parser.bufferedBytes }),
      );
    } catch (error) {
      throw this.#failed(this.#handshakeFailure(error), 'stls');
    }
    // RFC 2595 §4: capabilities learned before TLS may have been forged; ask again when needed.
    this.#capabilities = undefined;
  }

  /**
   * Wire reports a failed STLS handshake as a `reset` (its socket error listener
   * fires before the handshake's); restate it as the TLS failure it is, with the
   * certificate advice of `describeTlsFailure`.
   */
  #handshakeFailure(error: unknown): unknown {
    if (!isWireError(error) || error.kind !== 'reset' || !(error.cause instanceof Error)) return error;
    // A server that hangs up mid-handshake has no certificate problem: that is a transient reset.
    if (isDroppedConnection(error)) return handshakeDropped(error, 'stls');
    const described = describeTlsFailure({ host: this.#options.host, port: this.#port }, error.cause);
    return new Pop3ConnectionError(
      `${described.message} Plaintext injected between the STLS reply and the handshake also breaks the handshake this way.`,
      'tls',
      { phase: 'stls', cause: described },
    );
  }

  async #loadCapabilities(phase: Pop3Phase): Promise<Pop3Capabilities> {
    if (this.#capabilities !== undefined) return this.#capabilities;
    const status = await this.#deadline(phase, this.#timeouts.command, async () => {
      await this.#send('CAPA\r\n');
      return this.#readStatus(phase, false, true);
    });
    if (status.type !== 'ok') {
      this.#capabilities = parseCapabilities([]);
      return this.#capabilities;
    }
    const body = await this.#deadline(phase, this.#timeouts.data, () => this.#readBody(phase, MAX_CAPA_BYTES));
    const lines = splitLines(body);
    for (const line of lines) this.#transcript.server(line);
    this.#transcript.server('.');
    this.#capabilities = parseCapabilities(lines);
    return this.#capabilities;
  }

  async #login(login: Pop3LoginOptions): Promise<void> {
    const method = login.method ?? 'auto';
    const password = 'password' in login ? login.password : undefined;
    const accessToken = 'accessToken' in login ? login.accessToken : undefined;
    if (typeof login.username !== 'string' || (password === undefined && accessToken === undefined)) {
      throw new Pop3ConfigError('login needs a username and either a password or an accessToken.', 'auth');
    }
    if (password !== undefined) this.#transcript.addSecret(password);
    if (accessToken !== undefined) this.#transcript.addSecret(accessToken);
    const credentials: SaslCredentials = password !== undefined ? { username: login.username, password } : { username: login.username, accessToken: accessToken ?? '' };
    if (method === 'sasl' || (method === 'auto' && accessToken !== undefined)) return this.#loginSasl(credentials, login.mechanism);
    if (password === undefined) throw new Pop3ConfigError(`Method '${method}' needs a password; an access token works only with SASL.`, 'auth');
    if (method === 'apop') return this.#loginApop(login.username, password);
    if (method === 'user') return this.#loginUserPass(login.username, password);
    if (method !== 'auto') throw new Pop3ConfigError(`Unknown login method ${JSON.stringify(method)}: use 'auto', 'user', 'apop' or 'sasl'.`, 'auth');

    const capabilities = await this.#loadCapabilities('auth');
    const mechanism = login.mechanism ?? this.#strongestMechanism(capabilities, credentials);
    if (mechanism !== undefined) return this.#loginSasl(credentials, mechanism);
    if (this.#apopTimestamp !== undefined) return this.#loginApop(login.username, password);
    if (capabilities.raw.length > 0 && !capabilities.user) {
      throw new Pop3AuthError(
        'The server offers no login method this client can use here: no usable SASL mechanism, no APOP timestamp, and no USER capability. ' +
          (this.secure ? 'Check the server configuration.' : "Connect with security 'starttls' or 'tls': the server may offer more over TLS."),
        { phase: 'auth' },
      );
    }
    return this.#loginUserPass(login.username, password);
  }

  #strongestMechanism(capabilities: Pop3Capabilities, credentials: SaslCredentials): string | undefined {
    return selectMechanism(capabilities.sasl, credentials, {
      secure: this.secure,
      allowPlaintextOnInsecure: this.#options.allowPlaintextAuth === true,
      channelBinding: this.#connection.channelBinding() !== undefined,
    });
  }

  #refusePlaintext(what: string): void {
    if (this.secure || this.#options.allowPlaintextAuth === true) return;
    throw new Pop3AuthError(
      `${what} would send the password or token in clear over an unencrypted connection, so nothing was sent. ` +
        "Use security 'starttls' or 'tls', or set allowPlaintextAuth: true if the network is trusted.",
      { phase: 'auth' },
    );
  }

  async #loginUserPass(username: string, password: string): Promise<void> {
    this.#refusePlaintext('USER/PASS');
    const user = this.#encode(() => encodeCommand('USER', [{ value: username, rule: 'name', what: 'username' }]), 'auth');
    const pass = this.#encode(() => encodeCommand('PASS', [{ value: password, rule: 'password', what: 'password' }]), 'auth');
    await this.#deadline('auth', this.#timeouts.command, async () => {
      await this.#send(user);
      this.#expectAuthOk(await this.#readStatus('auth'), 'USER');
      await this.#send(pass, 'PASS <redacted>');
      this.#expectAuthOk(await this.#readStatus('auth'), 'PASS');
    });
  }

  async #loginApop(username: string, password: string): Promise<void> {
    const timestamp = this.#apopTimestamp;
    if (timestamp === undefined) {
      throw new Pop3AuthError(
        'APOP is impossible: the server greeting has no valid <…@…> timestamp, so nothing was sent (and the password was not sent in clear instead). ' +
          "Use method 'user' or 'sasl', or check the server's APOP setting.",
        { phase: 'auth', response: this.#greeting },
      );
    }
    const digest = apopDigest(timestamp, password);
    const command = this.#encode(() => encodeCommand('APOP', [{ value: username, rule: 'name', what: 'username' }, { value: digest }]), 'auth');
    this.#transcript.addSecret(digest);
    await this.#deadline('auth', this.#timeouts.command, async () => {
      await this.#send(command, `APOP ${username} <redacted>`);
      this.#expectAuthOk(await this.#readStatus('auth'), 'APOP');
    });
  }

  async #loginSasl(credentials: SaslCredentials, requested: string | undefined): Promise<void> {
    const capabilities = await this.#loadCapabilities('auth');
    const name = requested ?? this.#strongestMechanism(capabilities, credentials);
    if (name === undefined) {
      throw new Pop3AuthError(
        `The server offers no SASL mechanism usable with these credentials here (offered: ${capabilities.sasl.join(' ') || 'none'}). ` +
          (this.secure ? 'Choose another login method.' : "Connect with security 'starttls' or 'tls' to allow more mechanisms."),
        { phase: 'auth' },
      );
    }
    if (mechanismSendsSecretInClear(name)) this.#refusePlaintext(`SASL ${name.toUpperCase()}`);
    try {
      await this.#runMechanism(name, credentials, capabilities, 'rfc2831');
    } catch (error) {
      // RFC 2831 hashes a Latin-1 password as ISO-8859-1, Dovecot as UTF-8: when that is the
      // only possible difference, one more AUTH with the UTF-8 form (the session allows it).
      const retry = name.toUpperCase() === 'DIGEST-MD5' && 'password' in credentials && digestMd5EncodingMatters(credentials);
      if (!retry || !(error instanceof Pop3AuthError) || error.code !== 'AUTH' || this.#state === 'closed') throw error;
      try {
        await this.#runMechanism(name, credentials, capabilities, 'utf-8');
      } catch (retryError) {
        // A plain refusal again: the first one is the answer. Anything else (a lost connection) is news.
        throw retryError instanceof Pop3AuthError && retryError.code === 'AUTH' ? error : retryError;
      }
    }
  }

  /** Runs one SASL exchange with a fresh client mechanism. */
  async #runMechanism(
    name: string,
    credentials: SaslCredentials,
    capabilities: Pop3Capabilities,
    digestMd5PasswordEncoding: 'rfc2831' | 'utf-8',
  ): Promise<void> {
    const binding = this.#connection.channelBinding();
    let mechanism: SaslClientMechanism;
    try {
      mechanism = createClientMechanism(name, credentials, {
        service: 'pop',
        host: this.#options.tls?.servername ?? this.#options.host,
        port: this.#port,
        // Plain SCRAM given binding data sends gs2 flag 'y', which servers that can bind but did not offer -PLUS refuse as a downgrade.
        channelBinding: mechanismNeedsChannelBinding(name) ? binding : undefined,
        digestMd5PasswordEncoding,
      });
    } catch (error) {
      if (error instanceof SaslError) {
        throw new Pop3AuthError(`SASL ${name} cannot be used (${error.code}): ${error.message}. Nothing was sent.`, { phase: 'auth', cause: error });
      }
      throw error;
    }
    await this.#deadline('auth', this.#timeouts.command, () =>
      runSaslExchange(
        {
          send: (line, redacted) => {
            // A SASL response is as secret as what it proves (LOGIN's is the password in base64):
            // a server that echoes it back must not put it into the transcript or an error.
            const sent = line.trimEnd();
            if (sent !== redacted) this.#transcript.addSecret(sent.slice(sent.lastIndexOf(' ') + 1));
            return this.#send(line, redacted);
          },
          readStatus: () => this.#readStatus('auth', true),
          scrub: (text) => this.#transcript.scrub(text),
          abandon: () => {
            this.#state = 'closed';
          },
        },
        mechanism,
        capabilities.sasl.length > 0,
      ),
    );
  }

  #expectAuthOk(status: StatusLine, command: string): void {
    if (status.type === 'ok') return;
    const line = this.#transcript.scrub(status.line);
    if (status.type === 'continuation') throw this.#protocolFailure('unexpected-response', `The server answered ${command} with a continuation: ${line}`, 'auth');
    const transient = isTransientCode(status.code);
    const advice =
      status.code === 'IN-USE'
        ? 'The mailbox is locked by another session: try again once it has ended.'
        : status.code === 'LOGIN-DELAY'
          ? 'The server limits how often you may log in: wait and try again.'
          : status.code === 'SYS/TEMP'
            ? 'The server has a temporary problem: try again later.'
            : status.code === 'SYS/PERM'
              ? 'The server has a permanent problem: ask its administrator.'
              : 'Check the username and password.';
    throw new Pop3AuthError(`The server refused ${command}: ${line}. ${advice}`, { phase: 'auth', response: line, code: status.code, transient });
  }

  async #retrieveBuffered(command: string): Promise<Uint8Array> {
    await this.#command(command, 'retrieve', 'multi');
    return this.#deadline('retrieve', this.#timeouts.data, () => this.#readBody('retrieve', this.#maxMessageBytes));
  }

  /**
   * Sends `commands` pipelined through a sliding window: at most `window`
   * commands are unanswered at a time, and once half of them are answered the
   * next half is sent in one write, so the server always has work queued and
   * no round trip is spent waiting between batches. Each status line gets the
   * `command` deadline and each body the `data` deadline, as for a single
   * command, counted from the step's first wait for the server: a response
   * already buffered needs no deadline, and moving it costs a clock read.
   *
   * @param bodyLimit - for multi-line responses (RETR), the most bytes one may hold; without it, status lines only
   * @returns the bodies, or the replies without `bodyLimit`, in the order of `commands`
   */
  async #pipelined(commands: string[], phase: Pop3Phase, bodyLimit: number | undefined): Promise<(Uint8Array | Pop3Reply)[]> {
    if (commands.length === 0) return [];
    const capabilities = await this.#loadCapabilities('command');
    const window = capabilities.pipelining ? PIPELINE_WINDOW : 1;
    const refillAt = window >> 1;
    const multi = bodyLimit !== undefined;
    const results: (Uint8Array | Pop3Reply)[] = [];
    let failure: Pop3Error | undefined;
    await this.#deadline(phase, this.#timeouts.command, async (restart) => {
      let sent = 0;
      for (let answered = 0; answered < commands.length; answered++) {
        if (sent < commands.length && sent - answered <= refillAt) {
          restart(phase, this.#timeouts.command);
          const batch = commands.slice(sent, answered + window);
          // With nothing outstanding, anything buffered answers no command.
          if (sent === answered) this.#refuseUnsolicited(batch[0] ?? '');
          if (this.#transcript.enabled) for (const command of batch) this.#transcript.client(command.slice(0, -2));
          await this.#connection.write(batch.length === 1 ? (batch[0] ?? '') : batch.join(''));
          sent += batch.length;
        }
        let status = this.#takeStatus(phase, false, multi);
        if (status === undefined) {
          restart(phase, this.#timeouts.command);
          status = await this.#readStatus(phase, false, multi);
        }
        if (status.type !== 'ok') {
          failure ??= this.#commandFailure(status, commands[answered] ?? '', phase);
        } else if (bodyLimit === undefined) {
          results.push(this.#reply(status));
        } else {
          const body: BodyCollector = { pieces: [], size: 0, limit: bodyLimit };
          if (!this.#collectBody(body, phase)) {
            restart(phase, this.#timeouts.data);
            do await this.#fill(phase);
            while (!this.#collectBody(body, phase));
          }
          results.push(this.#bodyBytes(body, phase));
        }
      }
    });
    if (failure !== undefined) throw failure;
    return results;
  }

  async #simple(keyword: string, args: string[], phase: Pop3Phase): Promise<Pop3Reply> {
    const command = this.#encode(() => encodeCommand(keyword, args.map((value) => ({ value }))), phase);
    return this.#reply(await this.#command(command, phase, 'single'));
  }

  async #multiLine(keyword: string, args: string[], phase: Pop3Phase, limit: number): Promise<string[]> {
    const command = this.#encode(() => encodeCommand(keyword, args.map((value) => ({ value }))), phase);
    await this.#command(command, phase, 'multi');
    const body = await this.#deadline(phase, this.#timeouts.data, () => this.#readBody(phase, limit));
    const lines = splitLines(body);
    if (this.#transcript.enabled) {
      for (const line of lines) this.#transcript.server(line);
      this.#transcript.server('.');
    }
    return lines;
  }

  /** Sends a command and reads its status line; `-ERR` throws. With `multi`, the parser is left at the start of the body. */
  async #command(command: string, phase: Pop3Phase, kind: 'single' | 'multi'): Promise<StatusLine> {
    const status = await this.#deadline(phase, this.#timeouts.command, async () => {
      await this.#send(command);
      return this.#readStatus(phase, false, kind === 'multi');
    });
    if (status.type !== 'ok') throw this.#commandFailure(status, command, phase);
    return status;
  }

  #commandFailure(status: StatusLine, command: string, phase: Pop3Phase): Pop3Error {
    const keyword = command.split(' ', 1)[0]?.trim() ?? command;
    if (status.type === 'continuation') {
      return this.#protocolFailure('unexpected-response', `The server answered ${keyword} with a SASL continuation: ${status.line}`, phase);
    }
    const transient = isTransientCode(status.code);
    return new Pop3ResponseError(
      `The server refused ${command.trim()}: ${this.#transcript.scrub(status.line)}.${transient ? ' This is temporary: try again later.' : ''}`,
      { phase, response: this.#transcript.scrub(status.line), code: status.code, transient },
    );
  }

  #reply(status: StatusLine): Pop3Reply {
    return { line: this.#transcript.scrub(status.line), text: status.text, code: status.type === 'continuation' ? undefined : status.code };
  }

  #encode<T extends string | string[]>(encode: () => T, phase: Pop3Phase): T {
    try {
      return encode();
    } catch (error) {
      if (error instanceof Pop3ProtocolError) throw new Pop3ProtocolError(error.reason, error.message, { phase });
      throw error;
    }
  }

  async #send(line: string, redacted?: string): Promise<void> {
    this.#refuseUnsolicited(line);
    this.#transcript.client(line.slice(0, -2), redacted);
    await this.#connection.write(line);
  }

  /**
   * Refuses to send a command while bytes that answer no command are waiting:
   * the next command would take them as its response (a stray `+OK` read as
   * the answer to DELE), and every later response would be off by one.
   */
  #refuseUnsolicited(line: string): void {
    const waiting = this.#parser.bufferedBytes;
    if (waiting === 0) return;
    const keyword = line.split(' ', 1)[0]?.trim() ?? line;
    throw this.#protocolFailure(
      'unexpected-response',
      `The server sent ${waiting} byte(s) that answer no command, so ${keyword} was not sent: its responses are out of step with the commands (a server bug, or bytes injected on the way)`,
      'command',
    );
  }

  /**
   * Reads one status line. A `+OK` to a multi-line command switches the parser
   * to the body; a continuation is accepted only inside AUTH.
   */
  async #readStatus(phase: Pop3Phase, continuationAllowed = false, multi = false): Promise<StatusLine> {
    for (;;) {
      const status = this.#takeStatus(phase, continuationAllowed, multi);
      if (status !== undefined) return status;
      await this.#fill(phase);
    }
  }

  /** {@link Pop3Client.#readStatus} for a status line already buffered: `undefined` when more bytes are needed. */
  #takeStatus(phase: Pop3Phase, continuationAllowed: boolean, multi: boolean): StatusLine | undefined {
    const status = this.#parser.readStatus();
    if (status === undefined) return undefined;
    if (status.type === 'continuation') {
      this.#transcript.server(status.line, continuationAllowed ? '+ <redacted>' : undefined);
      if (!continuationAllowed) {
        throw this.#protocolFailure('unexpected-response', `The server sent a SASL continuation outside AUTH: ${status.line}`, phase);
      }
    } else {
      this.#transcript.server(status.line);
      if (multi && status.type === 'ok') this.#parser.beginBody();
    }
    return status;
  }

  async #readBody(phase: Pop3Phase, limit: number): Promise<Uint8Array> {
    const body: BodyCollector = { pieces: [], size: 0, limit };
    while (!this.#collectBody(body, phase)) await this.#fill(phase);
    return this.#bodyBytes(body, phase);
  }

  /** Moves the buffered part of the body into `body`: true once its terminator has been read. */
  #collectBody(body: BodyCollector, phase: Pop3Phase): boolean {
    for (;;) {
      const chunk = this.#takeBodyChunk(phase);
      if (chunk === undefined) return false;
      if (chunk === null) return true;
      body.size += chunk.length;
      if (body.size > body.limit) {
        throw this.#protocolFailure(
          'response-too-large',
          `The server's response exceeds ${body.limit} bytes, the limit for a response held in memory; the connection was closed. Use retrieveStream() for large messages, or raise maxMessageBytes.`,
          phase,
        );
      }
      body.pieces.push(chunk);
    }
  }

  #bodyBytes(body: BodyCollector, phase: Pop3Phase): Uint8Array {
    if (phase === 'retrieve' && this.#transcript.enabled) this.#transcript.info(`(message data: ${body.size} bytes)`);
    const [first] = body.pieces;
    // A response that arrived within one read is handed out as the parser's view of it: no copy.
    return body.pieces.length === 1 && first !== undefined ? first : Buffer.concat(body.pieces, body.size);
  }

  /** The next un-stuffed chunk of the body already received, `null` at its end, `undefined` when more bytes are needed. */
  #takeBodyChunk(phase: Pop3Phase): Uint8Array | null | undefined {
    let event;
    try {
      event = this.#parser.readBody();
    } catch (error) {
      throw this.#translate(error, phase);
    }
    if (event === undefined) return undefined;
    return event.type === 'end' ? null : event.bytes;
  }

  async #fill(phase: Pop3Phase): Promise<void> {
    let chunk: Uint8Array | null;
    try {
      chunk = await this.#connection.read();
    } catch (error) {
      throw this.#translate(error, phase);
    }
    if (chunk === null) {
      this.#state = 'closed';
      if (this.#parser.idle) {
        throw new Pop3ConnectionError('The server closed the connection instead of answering. Try again; if it keeps happening, look at the server logs.', 'closed', {
          phase,
          transient: true,
        });
      }
      throw new Pop3ProtocolError(
        'truncated',
        'The server closed the connection in the middle of a response; the incomplete response was discarded. Try again.',
        { phase, transient: true },
      );
    }
    this.#parser.feed(chunk);
  }

  async #deadline<T>(phase: Pop3Phase, ms: number, step: (restart: DeadlineRestart) => Promise<T>): Promise<T> {
    if (this.closed) {
      throw new Pop3ConnectionError('The POP3 session is closed; connect again.', 'closed', { phase });
    }
    try {
      return await this.#connection.withDeadline(phase, ms, step);
    } catch (error) {
      throw this.#failed(error, phase);
    }
  }

  /**
   * Translates a step's failure and, when it leaves the session unusable, closes
   * the connection. Done only once the step has settled: closing from inside
   * would let the deadline report a bland "closed" instead of the real cause.
   */
  #failed(error: unknown, phase: Pop3Phase): unknown {
    const translated = this.#translate(error, phase);
    if (this.#state === 'closed' || !(translated instanceof Pop3Error)) {
      this.#state = 'closed';
      this.#connection.destroy();
    }
    return translated;
  }

  #protocolFailure(reason: Pop3ProtocolError['reason'], message: string, phase: Pop3Phase): Pop3ProtocolError {
    this.#state = 'closed';
    return new Pop3ProtocolError(reason, `${this.#transcript.scrub(message)}. The connection was closed.`, { phase });
  }

  /** Maps anything a step threw to a {@link Pop3Error}, marking the session closed when the error leaves the stream out of step. */
  #translate(error: unknown, phase: Pop3Phase): unknown {
    if (isWireError(error)) {
      this.#state = 'closed';
      return pop3ErrorFromWire(error, phase);
    }
    if (error instanceof Pop3ProtocolError) {
      this.#state = 'closed';
      if (error.phase === phase) return error;
      return new Pop3ProtocolError(error.reason, this.#transcript.scrub(error.message), {
        phase,
        response: error.response === undefined ? undefined : this.#transcript.scrub(error.response),
        transient: error.transient,
      });
    }
    if (error instanceof Pop3Error) return error;
    this.#state = 'closed';
    return error;
  }

  #enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
