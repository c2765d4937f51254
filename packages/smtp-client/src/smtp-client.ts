import { isAscii } from 'node:buffer';
import {
  canonicalMechanismName,
  createClientMechanism,
  digestMd5EncodingMatters,
  mechanismSendsSecretInClear,
  SaslError,
  selectMechanism,
  type ChannelBinding,
  type SaslClientMechanism,
} from '@sysmail/sasl';
import { describeTlsFailure, REDACTED, resolveTimeouts, Transcript, WireConnection, WireError, type TlsDetails, type WireTlsOptions } from '@sysmail/wire';
import { isValidClientName } from './protocol/address.js';
import type { SmtpCapabilities } from './protocol/capabilities.js';
import { encodeCommandLines, refuseLineBreaks } from './protocol/command-line.js';
import { DataEncoder, normalisedSize } from './protocol/data-encoder.js';
import { ReplyParser } from './protocol/reply-parser.js';
import { checkReplyFits } from './protocol/reply-fit.js';
import { SessionState } from './protocol/session-state.js';
import { isPositive, summarizeReply, type SmtpReply } from './protocol/reply.js';
import { acceptGreeting, judgeEhlo, judgeHelo, judgeStarttls } from './protocol/session-steps.js';
import { advice, judgeEnvelope, planTransaction, type SmtpEnvelope, type TransactionPlan } from './protocol/transaction.js';
import { ByteBatch } from './byte-batch.js';
import { WriteBuffers } from './write-buffers.js';
import { inMemoryBytes, messageChunks, type SmtpMessage } from './message-source.js';
import { DEFAULT_SMTP_TIMEOUTS, defaultClientName, type SmtpClientOptions, type SmtpSecurity, type SmtpTimeoutPhase } from './options.js';
import { type AuthOutcome, FatalAuthError, runSaslExchange } from './sasl-exchange.js';
import {
  SmtpAbortError,
  SmtpArgumentError,
  SmtpAuthError,
  SmtpCapabilityError,
  SmtpConnectionError,
  SmtpError,
  SmtpProtocolError,
  SmtpReplyError,
  SmtpTimeoutError,
  SmtpTlsError,
  type SmtpPhase,
  type SmtpRejectedRecipient,
} from './smtp-error.js';

/** Encoded message bytes are sent in writes of at least this size, except the last. */
const WRITE_BATCH_BYTES = 64 * 1024;
/**
 * The most replies one pipelined batch asks for; more sends wait for the next
 * batch. A batch's replies are read only once it is written, and the
 * connection stops reading at 1 MiB unread: a server that stops reading while
 * its replies cannot be sent (as MTAs do) would then never take the rest of the
 * batch. 1024 replies of RFC 5321's longest line (512 bytes) take half of that.
 */
const MAX_BATCH_REPLIES = 1024;
/** How many clean reply texts the scrubber remembers. */
const CLEAN_TEXTS = 16;
/** A streamed message goes in BDAT chunks of at least this size, except the last: few replies, and bounded memory. */
const BDAT_CHUNK_BYTES = 1024 * 1024;

/** Credentials for {@link SmtpClient.authenticate}. */
export type SmtpCredentials =
  | {
      /** The account name. */
      username: string;
      /** The password. */
      password: string;
      /** Force a mechanism (e.g. `CRAM-MD5`) instead of the strongest one the server offers. */
      mechanism?: string;
    }
  | {
      /** The mailbox the token was issued for. */
      username: string;
      /** The OAuth 2.0 access token (XOAUTH2, OAUTHBEARER). */
      accessToken: string;
      /** Force `XOAUTH2` or `OAUTHBEARER` instead of the preferred one the server offers. */
      mechanism?: string;
    };

/** What {@link SmtpClient.authenticate} reports. */
export interface SmtpAuthResult {
  /** The mechanism that succeeded. */
  mechanism: string;
  /** The server's 235 reply. */
  reply: SmtpReply;
}

/** What {@link SmtpClient.send} reports. */
export interface SmtpSendResult {
  /** The recipients the server accepted: the message was delivered to them. */
  accepted: string[];
  /** The recipients the server refused, each with its reply; the others still got the message. */
  rejected: SmtpRejectedRecipient[];
  /** The server's reply to the end of the message (it often carries a queue id). */
  reply: SmtpReply;
}

/** Options of {@link SmtpClient.rawCommand}. */
export interface SmtpRawCommandOptions {
  /** How many replies to read; default one per line. */
  replies?: number;
}

/**
 * An SMTP submission client: one connection, any number of messages.
 *
 * ```ts
 * const client = await SmtpClient.connect({ host: 'smtp.example.com', port: 587, security: 'starttls' });
 * await client.authenticate({ username: 'app@example.com', password });
 * const result = await client.send({ from: 'app@example.com', to: ['a@example.org'] }, message);
 * await client.quit();
 * ```
 *
 * Calls are queued and run one at a time. After an error that leaves the
 * session in an unknown state (timeout, abort, protocol violation, lost
 * connection, 421) the connection is closed and every later call fails with
 * an {@link SmtpConnectionError} naming the original error. A refused command
 * (4xx/5xx) leaves the session usable: a failed transaction is reset with RSET.
 */
export class SmtpClient {
  readonly #wire: WireConnection;
  readonly #parser = new ReplyParser();
  readonly #state: SessionState;
  readonly #transcript: Transcript;
  readonly #timeouts: Record<SmtpTimeoutPhase, number>;
  readonly #options: SmtpClientOptions;
  readonly #clientName: string;
  readonly #port: number;
  #greeting: SmtpReply | undefined;
  #capabilities: SmtpCapabilities | undefined;
  #authenticatedAs: string | undefined;
  #unusable: SmtpError | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  /** The reply turns of pipelined sends, chained in the order their commands were written. */
  #replies: Promise<unknown> = Promise.resolve();
  /** Pipelined transactions written whose replies have not all been read. */
  #pipelinedInFlight = 0;
  /**
   * A MAIL was accepted in this session. Until then no message content is sent
   * ahead of its envelope's replies: a server that refuses every transaction
   * outright (Postfix's 530 before STARTTLS or AUTH) may read a refused BDAT
   * chunk as commands instead of discarding it as RFC 3030 asks.
   */
  #mailAccepted = false;
  /** Pipelined sends called and not yet written: the next write takes them all. */
  #unwritten: UnwrittenSend[] = [];
  #inflightRead: InflightRead | undefined;
  /** Whether a secret was given to the transcript: until then replies have nothing to scrub. */
  #secretsRegistered = false;
  /**
   * Reply texts known to hold no registered secret. A batch's replies repeat a
   * few texts, each the same string object: a lookup instead of a scrub per reply.
   */
  readonly #cleanTexts = new Set<string>();
  /** Whether someone listens to the transcript; fixed at connect. */
  readonly #transcribing: boolean;

  private constructor(wire: WireConnection, options: SmtpClientOptions, port: number, timeouts: Record<SmtpTimeoutPhase, number>, clientName: string) {
    this.#wire = wire;
    this.#state = new SessionState(wire.secure);
    this.#port = port;
    this.#options = options;
    this.#transcript = wire.transcript;
    this.#transcribing = wire.transcript.enabled;
    this.#timeouts = timeouts;
    this.#clientName = clientName;
  }

  /**
   * Connects, reads the greeting, says EHLO (HELO when the server does not know
   * EHLO) and, with security `starttls`, upgrades to TLS and says EHLO again,
   * discarding the capabilities learnt in plaintext.
   *
   * @param options - where and how to connect
   * @returns a client ready for {@link SmtpClient.authenticate} and {@link SmtpClient.send}
   * @throws {@link SmtpConnectionError} (and its TLS, timeout and abort subclasses), {@link SmtpReplyError}
   *   for a refused greeting or EHLO, {@link SmtpCapabilityError} when STARTTLS is required but not offered,
   *   {@link SmtpProtocolError}, {@link SmtpArgumentError} for bad options
   */
  static async connect(options: SmtpClientOptions): Promise<SmtpClient> {
    if (typeof options?.host !== 'string' || options.host === '') throw new SmtpArgumentError('connect', 'options.host must be a host name or IP address.');
    const security: SmtpSecurity = options.security ?? 'starttls';
    if (security !== 'none' && security !== 'starttls' && security !== 'tls') {
      throw new SmtpArgumentError('connect', `options.security must be 'none', 'starttls' or 'tls', not ${JSON.stringify(security)}.`);
    }
    const port = options.port ?? (security === 'tls' ? 465 : 25);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new SmtpArgumentError('connect', `options.port must be 1 to 65535, not ${String(port)}.`);
    let timeouts: Record<SmtpTimeoutPhase, number>;
    try {
      timeouts = resolveTimeouts(options.timeouts, DEFAULT_SMTP_TIMEOUTS);
    } catch (error) {
      throw new SmtpArgumentError('connect', (error as Error).message);
    }
    if (options.clientName !== undefined && !isValidClientName(options.clientName)) {
      throw new SmtpArgumentError('ehlo', `options.clientName ${JSON.stringify(options.clientName)} is neither a domain name nor an address literal such as [192.0.2.1].`);
    }
    let wire: WireConnection;
    try {
      wire = await WireConnection.connect({
        host: options.host,
        port,
        implicitTls: security === 'tls',
        tls: options.tls,
        localAddress: options.localAddress,
        signal: options.signal,
        connectTimeout: timeouts.connect,
        transcript: new Transcript(options.onTranscript),
      });
    } catch (error) {
      throw toSmtpError(error, 'connect', timeouts);
    }
    // The default EHLO name is the address this connection really comes from, which a server can check.
    const clientName = options.clientName ?? defaultClientName(options.localAddress ?? wire.localAddress);
    const client = new SmtpClient(wire, options, port, timeouts, clientName);
    try {
      await client.#open(security);
    } catch (error) {
      const failure = toSmtpError(error, 'greeting', timeouts);
      client.#markUnusable(failure);
      throw failure;
    }
    return client;
  }

  /** The server's greeting (the 220 reply). */
  get greeting(): SmtpReply {
    return this.#greeting as SmtpReply;
  }

  /** What the server advertised in its latest EHLO reply (after STARTTLS: the reply over TLS). */
  get capabilities(): SmtpCapabilities {
    return this.#capabilities as SmtpCapabilities;
  }

  /** True when the connection runs over TLS. */
  get secure(): boolean {
    return this.#wire.secure;
  }

  /** The negotiated TLS version, cipher and peer certificate, when secure. */
  get tlsDetails(): TlsDetails | undefined {
    return this.#wire.tlsDetails;
  }

  /** The identity authenticated with {@link SmtpClient.authenticate}, if any. */
  get authenticatedAs(): string | undefined {
    return this.#authenticatedAs;
  }

  /** True once the connection is closed: after {@link SmtpClient.quit}, {@link SmtpClient.close} or a fatal error. */
  get closed(): boolean {
    return this.#unusable !== undefined || this.#wire.closed;
  }

  /**
   * Authenticates with SMTP AUTH (RFC 4954). Without `mechanism`, picks the
   * strongest mechanism the server offers that the credentials can serve (SCRAM
   * with channel binding over TLS 1.3, SCRAM, DIGEST-MD5, CRAM-MD5, then PLAIN
   * and LOGIN; XOAUTH2 or OAUTHBEARER for tokens). Mechanisms that expose the
   * password or token on the wire are refused over an unencrypted connection
   * unless `allowPlaintextAuth` was set.
   *
   * @param credentials - username and password, or username and access token
   * @returns the mechanism used and the server's reply
   * @throws {@link SmtpAuthError} when refused (`transient` for 4xx; `oauthError` holds an OAuth server's JSON error)
   * @throws {@link SmtpCapabilityError} when the server offers no AUTH or no usable mechanism
   */
  authenticate(credentials: SmtpCredentials): Promise<SmtpAuthResult> {
    return this.#run('auth', () => this.#authenticate(credentials));
  }

  /**
   * Sends one message. MAIL, RCPT… and DATA are pipelined in one write when the
   * server offers PIPELINING; BDAT is used when it offers CHUNKING. When it
   * offers both and the message is a string or bytes, the whole transaction
   * (MAIL, RCPT…, `BDAT n LAST` and the message) goes in one write without
   * waiting for the replies of transactions sent before it: call `send()`
   * several times without awaiting each, and the messages share round trips
   * (RFC 2920, RFC 3030). Each call still gets its own exact result; a
   * transaction written behind another starts with RSET, so a failure of one
   * never spills into the next. Recipients
   * the server refuses are reported in `rejected` while the others get the
   * message. The message is streamed: line ends are normalised to CRLF before
   * dot-stuffing, so no content can end the message early.
   *
   * @param envelope - the sender and recipients, and optional SIZE, 8-bit, SMTPUTF8 and DSN settings
   * @param message - the complete message: string, bytes, or a stream of bytes
   * @returns the accepted and refused recipients and the server's final reply
   * @throws {@link SmtpReplyError} when the sender, every recipient, DATA or the message is refused (the session stays usable)
   * @throws {@link SmtpCapabilityError} when the message needs an extension the server lacks, or exceeds its SIZE
   * @throws {@link SmtpArgumentError} for an invalid address
   */
  send(envelope: SmtpEnvelope, message: SmtpMessage): Promise<SmtpSendResult> {
    const capabilities = this.#capabilities;
    const inMemory = typeof message === 'string' || message instanceof Uint8Array;
    if (inMemory && capabilities?.pipelining === true && capabilities.chunking) return this.#sendPipelined(envelope, message);
    return this.#run('mail', () => this.#send(envelope, message));
  }

  /**
   * Ends the session politely (QUIT) and closes the connection. Never fails
   * because of the server: a server that does not answer is cut off when the
   * command deadline passes. Idempotent.
   */
  async quit(): Promise<void> {
    const run = this.#queue.then(async () => {
      await this.#replies;
      if (this.closed) return;
      try {
        await this.#exchange('quit', 'QUIT');
      } catch {
        // The session ends either way; a server that drops the line at QUIT has done its part.
      }
      if (!this.#wire.closed) await this.#wire.close();
      this.#markUnusable(new SmtpConnectionError('quit', 'The client has ended the session with QUIT; connect again to send more.', { transient: false }));
    });
    this.#queue = run.catch(() => undefined);
    await run;
  }

  /** Closes the connection at once, failing whatever is in flight. Idempotent. */
  close(): void {
    this.#wire.destroy();
    this.#markUnusable(new SmtpConnectionError('quit', 'The client was closed; connect again to send more.', { transient: false }));
  }

  /**
   * **Diagnostics only** (used by `smtp-probe`): sends command lines in one
   * write, bypassing the session's rules, and reads replies. Each line is still
   * refused if it contains CR, LF or NUL. After using it the session is in
   * whatever state the server thinks; send mail on a fresh connection.
   *
   * @param lines - one or more command lines without line endings
   * @param options - how many replies to read
   * @returns the replies, in order
   */
  rawCommand(lines: string | readonly string[], options: SmtpRawCommandOptions = {}): Promise<SmtpReply[]> {
    const list = typeof lines === 'string' ? [lines] : lines;
    return this.#run('mail', async () => {
      await this.#step('mail', this.#timeouts.command, () => this.#writeLines('mail', list));
      const replies: SmtpReply[] = [];
      for (let i = 0; i < (options.replies ?? list.length); i++) replies.push(await this.#readStep('mail', this.#timeouts.command));
      return replies;
    });
  }

  /**
   * **Diagnostics only** (used by `smtp-probe`): writes bytes exactly as given,
   * with no check at all, for protocol probes such as a bare LF inside DATA.
   *
   * @param bytes - what to send
   */
  rawWrite(bytes: Uint8Array): Promise<void> {
    return this.#run('data', async () => {
      if (this.#transcribing) this.#transcript.client(`<${bytes.length} raw bytes>`);
      await this.#step('data', this.#timeouts.command, () => this.#wire.write(bytes));
    });
  }

  /**
   * **Diagnostics only** (used by `smtp-probe`): waits up to `waitMs` for a
   * reply without treating silence as an error, e.g. to see whether a server
   * answers a command pipelined after STARTTLS.
   *
   * @param waitMs - how long to wait
   * @returns the reply, or `undefined` when none arrived in time
   */
  rawReadReply(waitMs: number): Promise<SmtpReply | undefined> {
    return this.#run('mail', async () => {
      const giveUpAt = Date.now() + waitMs;
      for (;;) {
        const reply = this.#takeReply('mail', false);
        if (reply !== undefined) return reply;
        let timer: NodeJS.Timeout | undefined;
        const silence = new Promise<'silence'>((resolve) => {
          timer = setTimeout(() => resolve('silence'), Math.max(0, giveUpAt - Date.now()));
        });
        try {
          // A failed read settles the race too; #pushNextChunk then reports its error.
          const arrived = this.#read().promise.then(
            () => 'data' as const,
            () => 'data' as const,
          );
          const outcome = await Promise.race([arrived, silence]);
          if (outcome === 'silence') return undefined;
        } finally {
          clearTimeout(timer);
        }
        await this.#pushNextChunk('mail');
      }
    });
  }

  /**
   * **Diagnostics only** (used by `smtp-probe`): upgrades to TLS now, after the
   * caller saw the server's 220 to a STARTTLS sent with {@link SmtpClient.rawCommand}.
   * Bytes received before the handshake still close the connection with an
   * {@link SmtpProtocolError}. The session then starts over (RFC 3207): `authenticate` and
   * `send` refuse to run until EHLO, so use this connection for raw commands only.
   *
   * @param tls - TLS settings for this upgrade, defaulting to the connect options'
   */
  rawStartTls(tls?: WireTlsOptions): Promise<void> {
    return this.#run('starttls', async () => {
      await this.#upgrade(tls);
      this.#state.upgraded();
    });
  }

  async #open(security: SmtpSecurity): Promise<void> {
    this.#greeting = await this.#readStep('greeting', this.#timeouts.greeting);
    try {
      acceptGreeting(this.#greeting);
      this.#state.greeted();
    } catch (error) {
      // RFC 5321 §3.1: after a 554 greeting the client should still say QUIT.
      if (this.#greeting.code !== 421) await this.#exchange('quit', 'QUIT').catch(() => undefined);
      throw error;
    }
    await this.#ehlo();
    if (security !== 'starttls') return;
    if (!this.capabilities.starttls) {
      throw new SmtpCapabilityError(
        'starttls',
        `The server does not offer STARTTLS, and security 'starttls' never continues in plaintext. Use a server or port that supports TLS (587 with STARTTLS, 465 with security 'tls').`,
      );
    }
    const starttls = await this.#exchange('starttls', 'STARTTLS');
    checkReplyFits('starttls', starttls, 'starttls');
    judgeStarttls(starttls);
    await this.#upgrade(undefined);
    // RFC 3207 §4.2: everything learnt before TLS is forgotten and EHLO is sent again.
    this.#state.upgraded();
    this.#capabilities = undefined;
    await this.#ehlo();
  }

  async #upgrade(tls: WireTlsOptions | undefined): Promise<void> {
    // One turn of the event loop lets bytes that arrived right behind the 220 be read and
    // counted as injected, rather than fed to the TLS handshake as garbage.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const pendingBytes = this.#parser.bufferedBytes + (this.#inflightRead?.received ?? 0);
    try {
      await this.#wire.withDeadline('starttls', this.#timeouts.command, () => this.#wire.upgradeToTls({ tls, pendingBytes }));
    } catch (error) {
      // WireConnection reports a failed STARTTLS handshake as a `reset` (its socket error
      // listener fires first). A refused certificate or a broken handshake is a TLS failure,
      // with the certificate advice; a connection dropped mid-handshake stays a transient reset.
      if (error instanceof WireError && error.kind === 'reset' && error.cause instanceof Error && !isDroppedConnection(error.cause)) {
        throw toSmtpError(describeTlsFailure({ host: this.#options.host, port: this.#port }, error.cause), 'starttls', this.#timeouts);
      }
      throw toSmtpError(error, 'starttls', this.#timeouts);
    }
  }

  async #ehlo(): Promise<void> {
    const ehlo = await this.#exchange('ehlo', `EHLO ${this.#clientName}`);
    checkReplyFits('ehlo', ehlo, 'ehlo');
    const outcome = judgeEhlo(ehlo);
    if (outcome.type === 'capabilities') {
      this.#capabilities = outcome.capabilities;
    } else {
      const helo = await this.#exchange('ehlo', `HELO ${this.#clientName}`);
      checkReplyFits('ehlo', helo, 'ehlo');
      this.#capabilities = judgeHelo(helo);
    }
    this.#state.identified();
  }

  async #authenticate(credentials: SmtpCredentials): Promise<SmtpAuthResult> {
    const secret = checkCredentials(credentials);
    this.#state.checkCanAuthenticate();
    this.#addSecret(secret);
    const offered = this.capabilities.authMechanisms;
    if (offered.length === 0) {
      throw new SmtpCapabilityError('auth', 'The server does not offer AUTH on this connection. If it requires TLS first, connect with security starttls or tls.');
    }
    const secure = this.#wire.secure;
    const allowPlaintext = this.#options.allowPlaintextAuth === true;
    const channelBinding = this.#wire.channelBinding();
    let name: string | undefined;
    if (credentials.mechanism !== undefined) {
      name = canonicalMechanismName(credentials.mechanism);
      if (name === undefined) throw new SmtpArgumentError('auth', `The SASL mechanism ${JSON.stringify(credentials.mechanism)} is not supported.`);
      if (!offered.includes(name)) {
        throw new SmtpCapabilityError('auth', `The server does not offer ${name}; it offers ${offered.join(', ')}.`);
      }
    } else {
      name = selectMechanism(offered, credentials, {
        secure,
        allowPlaintextOnInsecure: allowPlaintext,
        channelBinding: channelBinding !== undefined,
      });
      if (name === undefined) {
        const hint = secure ? '' : ' Over an unencrypted connection PLAIN, LOGIN and the OAuth mechanisms are refused: use TLS (or allowPlaintextAuth).';
        throw new SmtpCapabilityError('auth', `None of the server's mechanisms (${offered.join(', ')}) can be used with these credentials.${hint}`);
      }
    }
    if (!secure && !allowPlaintext && mechanismSendsSecretInClear(name)) {
      throw new SmtpAuthError(
        `${name} would send the ${'accessToken' in credentials ? 'token' : 'password'} readable by anyone on the network, and this connection is not encrypted; nothing was sent. Connect with security 'starttls' or 'tls', or set allowPlaintextAuth if the network is trusted.`,
        { mechanism: name },
      );
    }
    let outcome: AuthOutcome;
    try {
      outcome = await this.#runMechanism(name, credentials, channelBinding, 'rfc2831');
    } catch (error) {
      // RFC 2831 hashes a Latin-1 password as ISO-8859-1, Dovecot as UTF-8: when that is the
      // only possible difference, one more AUTH with the UTF-8 form (the session allows it).
      const retry = name === 'DIGEST-MD5' && 'password' in credentials && digestMd5EncodingMatters(credentials);
      if (!retry || !(error instanceof SmtpAuthError) || error.reply?.code !== 535) throw error;
      try {
        outcome = await this.#runMechanism(name, credentials, channelBinding, 'utf-8');
      } catch (retryError) {
        // A plain refusal again: the first one is the answer. Anything else (a fatal exchange, a lost connection) is news.
        throw retryError instanceof SmtpAuthError && !(retryError instanceof FatalAuthError) ? error : retryError;
      }
    }
    this.#state.authenticatedNow();
    this.#authenticatedAs = credentials.username;
    return { mechanism: name, reply: outcome.reply };
  }

  /** Runs one AUTH exchange with a fresh client mechanism. */
  async #runMechanism(
    name: string,
    credentials: SmtpCredentials,
    channelBinding: ChannelBinding | undefined,
    digestMd5PasswordEncoding: 'rfc2831' | 'utf-8',
  ): Promise<AuthOutcome> {
    let mechanism: SaslClientMechanism;
    try {
      mechanism = createClientMechanism(name, credentials, { service: 'smtp', host: this.#options.host, port: this.#port, channelBinding, digestMd5PasswordEncoding });
    } catch (error) {
      if (!(error instanceof SaslError)) throw error;
      throw new SmtpAuthError(`${name} cannot be used with these credentials: ${error.message}.`, { mechanism: name, cause: error });
    }
    return runSaslExchange(
      {
        send: (line, redacted) => {
          // A SASL response is as secret as what it proves (LOGIN's is the password in base64):
          // a server that echoes it back must not put it into the transcript or an error.
          if (line !== redacted) this.#addSecret(line.slice(line.lastIndexOf(' ') + 1));
          return this.#step('auth', this.#timeouts.command, async () => {
            this.#refuseUnsolicited('auth');
            await this.#writeLines('auth', [line], [redacted]);
          });
        },
        readReply: () => this.#readStep('auth', this.#timeouts.command, true),
        scrub: (text) => this.#transcript.scrub(text),
      },
      mechanism,
    );
  }

  async #send(envelope: SmtpEnvelope, message: SmtpMessage): Promise<SmtpSendResult> {
    if (typeof envelope !== 'object' || envelope === null || typeof envelope.from !== 'string') {
      throw new SmtpArgumentError('mail', 'The envelope must be an object with `from` (a string, "" for <>) and `to` (an array of addresses).');
    }
    const bytes = inMemoryBytes(message);
    const size = bytes === undefined ? envelope.size : normalisedSize(bytes);
    if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) throw new SmtpArgumentError('mail', 'envelope.size must be a non-negative integer.');
    const plan = planTransaction(envelope, this.capabilities, { size, eightBit: bytes !== undefined && !isAscii(bytes) });
    this.#state.beginTransaction();
    const { mailReply, rcptReplies, dataReply } = await this.#sendEnvelope(plan);
    const outcome = judgeEnvelope(plan.recipients, mailReply, rcptReplies);
    if (isPositive(mailReply)) this.#mailAccepted = true;
    if (outcome.failure !== undefined) {
      // RFC 2920 §3.1: a DATA accepted after every recipient failed is ended with an empty message.
      if (dataReply?.code === 354) await this.#step('data', this.#timeouts.data, () => this.#finishData(new Uint8Array([0x2e, 0x0d, 0x0a]), 0));
      await this.#reset();
      throw outcome.failure;
    }
    if (dataReply !== undefined && dataReply.code !== 354) {
      await this.#reset();
      throw new SmtpReplyError('data', `The server refused DATA: ${summarizeReply(dataReply)}.${advice(dataReply)}`, dataReply);
    }
    const reply =
      plan.framing === 'bdat'
        ? await this.#step('data', this.#timeouts.data, () => this.#streamBdat(message, bytes))
        : await this.#step('data', this.#timeouts.data, () => this.#streamData(message, bytes));
    if (!isPositive(reply)) {
      await this.#reset();
      throw new SmtpReplyError('data', `The server refused the message: ${summarizeReply(reply)}.${advice(reply)}`, reply);
    }
    this.#state.endTransaction();
    return { accepted: outcome.accepted, rejected: outcome.rejected, reply };
  }

  /**
   * A send whose whole transaction is written without waiting for replies.
   * Sends called before the queue reaches them are written together, in
   * batches; their replies are read in a second chain, in order, so that later
   * sends are written before earlier ones are answered.
   */
  #sendPipelined(envelope: SmtpEnvelope, message: string | Uint8Array): Promise<SmtpSendResult> {
    return new Promise<SmtpSendResult>((resolve, reject) => {
      this.#unwritten.push({ envelope, message, resolve, reject });
      if (this.#unwritten.length > 1) return;
      const written = this.#queue.then(() => this.#writePipelined());
      this.#queue = written.catch(() => undefined);
    });
  }

  /**
   * Writes every pipelined send waiting, in batches of at most
   * {@link MAX_BATCH_REPLIES} replies, and chains the reading of each batch's
   * replies: a batch's replies are read while the next batch is written.
   */
  async #writePipelined(): Promise<void> {
    const sends = this.#unwritten;
    this.#unwritten = [];
    let next = 0;
    while (!this.#mailAccepted && this.#unusable === undefined && next < sends.length) {
      const send = sends[next++] as UnwrittenSend;
      await this.#replies;
      try {
        send.resolve(await this.#send(send.envelope, send.message));
      } catch (error) {
        send.reject(this.#failed(error, 'mail'));
      }
    }
    // Small transactions go into shared buffers, to go out in a few writes; a large message as it is, uncopied.
    const buffers = new WriteBuffers(WRITE_BATCH_BYTES);
    while (next < sends.length) {
      const transactions: PipelinedTransaction[] = [];
      // Each buffer goes out once full, while the rest is encoded: the server works meanwhile,
      // and a batch holds no more than the connection has not yet taken.
      const writing = this.#step('mail', this.#timeouts.data, async () => {
        let replies = 0;
        while (next < sends.length && replies < MAX_BATCH_REPLIES) {
          const send = sends[next++] as UnwrittenSend;
          if (this.#unusable !== undefined) {
            send.reject(this.#closedError('mail'));
            continue;
          }
          let transaction: PipelinedTransaction;
          try {
            transaction = this.#encodeTransaction(send, buffers);
          } catch (error) {
            send.reject(this.#failed(error, 'mail'));
            continue;
          }
          transactions.push(transaction);
          replies += transaction.expected;
          for (const piece of buffers.takeFilled()) await this.#wire.write(piece);
        }
        for (const piece of buffers.take()) await this.#wire.write(piece);
      });
      this.#replies = this.#readPipelined(transactions, writing, this.#replies);
      try {
        await writing;
      } catch (error) {
        // Those written get the failure from the reading, which first judges what the server
        // answered before the connection failed; those not reached yet get it here.
        const failure = toSmtpError(error, 'mail', this.#timeouts);
        for (const send of sends.slice(next)) send.reject(failure);
        // Only then is the session closed: until it is, the readers still take replies already received.
        await this.#replies;
        if (leavesSessionUnknown(failure)) this.#markUnusable(failure);
        return;
      }
    }
  }

  /**
   * Plans one pipelined transaction and appends its commands and message to
   * `buffers`: RSET when behind another, MAIL, RCPT…, `BDAT n LAST` and the
   * message. Appends nothing when the send cannot go.
   */
  #encodeTransaction(send: UnwrittenSend, buffers: WriteBuffers): PipelinedTransaction {
    const { envelope, message } = send;
    if (typeof envelope !== 'object' || envelope === null || typeof envelope.from !== 'string') {
      throw new SmtpArgumentError('mail', 'The envelope must be an object with `from` (a string, "" for <>) and `to` (an array of addresses).');
    }
    const bytes = inMemoryBytes(message) as Uint8Array;
    const encoder = new DataEncoder('bdat');
    const body = encoder.push(bytes);
    const tail = encoder.end();
    const size = body.length + tail.length;
    // Node's native check: a batch runs it thousands of times, mostly before the JIT has warmed up.
    const plan = planTransaction(envelope, this.capabilities, { size, eightBit: !isAscii(bytes) });
    // Behind a transaction whose outcome is not known yet, start clean whatever it turns out to be.
    const reset = this.#pipelinedInFlight > 0;
    const bdat = `BDAT ${size} LAST`;
    refuseLineBreaks(plan.mail, 'mail', 'command');
    let commands = reset ? `RSET\r\n${plan.mail}\r\n` : `${plan.mail}\r\n`;
    for (const rcpt of plan.rcpts) {
      refuseLineBreaks(rcpt, 'mail', 'command');
      commands += `${rcpt}\r\n`;
    }
    buffers.text(`${commands}${bdat}\r\n`);
    buffers.bytes(body);
    buffers.bytes(tail);
    if (this.#state.stage === 'ready') this.#state.beginTransaction();
    if (this.#transcribing) {
      if (reset) this.#transcript.client('RSET');
      this.#transcript.client(plan.mail);
      for (const rcpt of plan.rcpts) this.#transcript.client(rcpt);
      this.#transcript.client(bdat);
      if (size > 0) this.#transcript.client(`<${size} bytes>`);
    }
    this.#pipelinedInFlight++;
    // RSET's reply, MAIL's, one per RCPT, and BDAT's.
    const expected = (reset ? 1 : 0) + 1 + plan.rcpts.length + 1;
    return { send, recipients: plan.recipients, reset, expected };
  }

  /**
   * Reads the replies of a batch once it is written, after those of the
   * batches before it, and settles each send with its own result. Replies
   * already received are taken without a promise each: the bulk of a batch.
   */
  async #readPipelined(transactions: readonly PipelinedTransaction[], writing: Promise<void>, previous: Promise<unknown>): Promise<void> {
    let writeFailure: { error: unknown } | undefined;
    try {
      await writing;
    } catch (error) {
      writeFailure = { error };
    }
    await previous;
    // One array for every transaction's replies in turn: a batch keeps thousands of transactions alive until read.
    const replies: SmtpReply[] = [];
    for (const transaction of transactions) {
      replies.length = 0;
      try {
        if (this.#unusable !== undefined) throw writeFailure !== undefined ? writeFailure.error : this.#closedError('mail');
        // After a failed write the server may still have answered this transaction: judged by its replies, a
        // delivered message is not reported failed (and sent twice). Only a missing reply gets the write's failure.
        if (!this.#takeArrivedReplies(transaction, replies)) await this.#awaitReplies(transaction, replies, writeFailure);
        const verdict = this.#judgeTransaction(transaction, replies);
        if (verdict instanceof SmtpReplyError) {
          await this.#resetUnlessFollowed();
          throw verdict;
        }
        transaction.send.resolve(verdict);
      } catch (error) {
        transaction.send.reject(this.#failed(error, 'mail'));
      } finally {
        this.#pipelinedInFlight--;
        if (this.#pipelinedInFlight === 0 && this.#state.stage === 'transaction') this.#state.endTransaction();
      }
    }
  }

  /** Takes the transaction's replies that have been received, in order; true once it has them all. */
  #takeArrivedReplies(transaction: PipelinedTransaction, replies: SmtpReply[]): boolean {
    while (replies.length < transaction.expected) {
      const reply = this.#takeReply(replyPhase(transaction, replies.length), false);
      if (reply === undefined) return false;
      replies.push(reply);
    }
    return true;
  }

  /**
   * Waits for the transaction's missing replies, each under its deadline. Once
   * the connection is gone, still takes those received before, with no deadline
   * to keep: its reads end with what it holds.
   *
   * @param writeFailure - why the batch's write failed, if it did: what a reply cut short by the lost connection reports
   */
  async #awaitReplies(transaction: PipelinedTransaction, replies: SmtpReply[], writeFailure: { error: unknown } | undefined): Promise<void> {
    do {
      const phase = replyPhase(transaction, replies.length);
      if (!this.#wire.closed) {
        const last = replies.length === transaction.expected - 1;
        replies.push(await this.#readStep(phase, last ? this.#timeouts.data : this.#timeouts.command));
        continue;
      }
      try {
        replies.push(await this.#readReply(phase));
      } catch (error) {
        throw writeFailure !== undefined && (error instanceof WireError || error instanceof SmtpConnectionError) ? writeFailure.error : error;
      }
    } while (!this.#takeArrivedReplies(transaction, replies));
  }

  /**
   * Judges a pipelined transaction's replies, once all are in, as for one
   * transaction's pipelined batch, naming its last step.
   *
   * @returns the send's result, or the refusal to report after RSET
   * @throws {@link SmtpProtocolError} when the replies do not fit the commands, or more came than were asked for
   */
  #judgeTransaction({ recipients, reset }: PipelinedTransaction, replies: readonly SmtpReply[]): SmtpSendResult | SmtpReplyError {
    const surplus = this.#pipelinedInFlight === 1 && this.#parser.bufferedBytes > 0;
    // The common case, and what it comes to below: every reply 2xx (which fits RSET, MAIL, RCPT
    // and BDAT alike), every recipient accepted. `recipients` is this client's own copy.
    if (!surplus && replies.every(isPositive)) {
      this.#mailAccepted = true;
      return { accepted: recipients as string[], rejected: [], reply: replies[replies.length - 1] as SmtpReply };
    }
    let next = 0;
    if (reset) {
      const reply = replies[next++] as SmtpReply;
      checkReplyFits('rset', reply, 'data');
      if (!isPositive(reply)) {
        throw new SmtpProtocolError('mail', `The server refused RSET (${summarizeReply(reply)}); the session state is unknown, so the connection was closed.`);
      }
    }
    const mailReply = replies[next++] as SmtpReply;
    if (isPositive(mailReply)) this.#mailAccepted = true;
    const rcptReplies = replies.slice(next, next + recipients.length);
    const reply = replies[replies.length - 1] as SmtpReply;
    checkReplyFits('mail', mailReply, 'data');
    for (const rcptReply of rcptReplies) checkReplyFits('rcpt', rcptReply, 'data');
    checkReplyFits('bdat', reply, 'data');
    const outcome = judgeEnvelope(recipients, mailReply, rcptReplies);
    if (surplus) {
      if (!isPositive(reply)) {
        // RFC 3030 §2 wants a refused chunk read and discarded, but Postfix (530 before TLS) reads
        // it as commands and answers them: the refusal is still the transaction's outcome, and
        // the session, fed the message as commands, cannot be trusted any further.
        this.#markUnusable(
          new SmtpProtocolError(
            'data',
            'The server refused BDAT but then answered the message content as if it were commands (it did not discard the chunk, RFC 3030), so the connection was closed.',
          ),
        );
        throw outcome.failure ?? new SmtpReplyError('data', `The server refused the message: ${summarizeReply(reply)}.${advice(reply)}`, reply);
      }
      throw new SmtpProtocolError(
        'data',
        'The server sent more replies than the pipelined RSET/MAIL/RCPT/BDAT commands asked for (a server bug, or replies injected on the way), so the connection was closed.',
      );
    }
    if (outcome.failure !== undefined) return outcome.failure;
    if (!isPositive(reply)) return new SmtpReplyError('data', `The server refused the message: ${summarizeReply(reply)}.${advice(reply)}`, reply);
    return { accepted: outcome.accepted, rejected: outcome.rejected, reply };
  }

  /**
   * Ends a failed pipelined transaction with RSET, unless a transaction was
   * written behind it: that one starts with its own RSET. The RSET is written
   * at once, so a send queued meanwhile goes after it.
   */
  async #resetUnlessFollowed(): Promise<void> {
    if (this.#pipelinedInFlight === 1) await this.#reset();
  }

  /** Turns a failure into an SmtpError, closing the session when its state is unknown, as `#run` does. */
  #failed(error: unknown, phase: SmtpPhase): SmtpError {
    const failure = toSmtpError(error, phase, this.#timeouts);
    if (leavesSessionUnknown(failure)) this.#markUnusable(failure);
    return failure;
  }

  async #sendEnvelope(plan: TransactionPlan): Promise<{ mailReply: SmtpReply; rcptReplies: SmtpReply[]; dataReply: SmtpReply | undefined }> {
    const command = this.#timeouts.command;
    const withData = plan.framing === 'data';
    const rcptReplies: SmtpReply[] = [];
    if (plan.pipelined) {
      const lines = [plan.mail, ...plan.rcpts, ...(withData ? ['DATA'] : [])];
      await this.#step('mail', command, async () => {
        this.#refuseUnsolicited('mail');
        await this.#writeLines('mail', lines);
      });
      const mailReply = await this.#readStep('mail', command);
      for (let i = 0; i < plan.rcpts.length; i++) rcptReplies.push(await this.#readStep('rcpt', command));
      const dataReply = withData ? await this.#readStep('data', command) : undefined;
      // The batch is judged as a whole, once every reply is in, and the batch's last step is
      // named: one reply too many or too few shifts every later reply onto the wrong command.
      const batchPhase = withData ? 'data' : 'rcpt';
      checkReplyFits('mail', mailReply, batchPhase);
      for (const reply of rcptReplies) checkReplyFits('rcpt', reply, batchPhase);
      if (dataReply !== undefined) checkReplyFits('data', dataReply, batchPhase);
      if (this.#parser.bufferedBytes > 0) {
        throw new SmtpProtocolError(
          batchPhase,
          'The server sent more replies than the pipelined MAIL/RCPT/DATA commands asked for (a server bug, or replies injected on the way), so the connection was closed.',
        );
      }
      return { mailReply, rcptReplies, dataReply };
    }
    const mailReply = await this.#exchange('mail', plan.mail);
    checkReplyFits('mail', mailReply, 'mail');
    if (!isPositive(mailReply)) return { mailReply, rcptReplies, dataReply: undefined };
    for (const rcpt of plan.rcpts) {
      const reply = await this.#exchange('rcpt', rcpt);
      checkReplyFits('rcpt', reply, 'rcpt');
      rcptReplies.push(reply);
    }
    if (!withData || !rcptReplies.some(isPositive)) return { mailReply, rcptReplies, dataReply: undefined };
    const dataReply = await this.#exchange('data', 'DATA');
    checkReplyFits('data', dataReply, 'data');
    return { mailReply, rcptReplies, dataReply };
  }

  async #streamData(message: SmtpMessage, bytes: Uint8Array | undefined): Promise<SmtpReply> {
    const encoder = new DataEncoder('data');
    const batch = new ByteBatch();
    await this.#pumpMessage(message, bytes, async (chunk) => {
      const encoded = encoder.push(chunk);
      // A large piece goes out as it is, without being copied into a batch.
      if (batch.size === 0 && encoded.length >= WRITE_BATCH_BYTES) await this.#wire.write(encoded);
      else batch.push(encoded);
      if (batch.size >= WRITE_BATCH_BYTES) await this.#wire.write(batch.take());
      return true;
    });
    batch.push(encoder.end());
    return this.#finishData(batch.take(), encoder.inputBytes);
  }

  async #finishData(tail: Uint8Array, contentBytes: number): Promise<SmtpReply> {
    await this.#wire.write(tail);
    if (this.#transcribing) {
      this.#transcript.client(`<${contentBytes} bytes>`);
      this.#transcript.client('.');
    }
    const reply = await this.#readReply('data');
    checkReplyFits('data-end', reply, 'data');
    return reply;
  }

  async #streamBdat(message: SmtpMessage, bytes: Uint8Array | undefined): Promise<SmtpReply> {
    const encoder = new DataEncoder('bdat');
    if (bytes !== undefined) {
      // In memory: one chunk of the exact encoded size, one reply.
      const body = encoder.push(bytes);
      return this.#bdat([body, encoder.end()], true);
    }
    // RFC 3030 §4.2: with PIPELINING, chunks need not wait for each other's replies; the
    // server discards the rest of a refused transaction. Replies that arrive meanwhile are
    // looked at, so a refusal still stops the stream early.
    const pipelined = this.capabilities.pipelining;
    const batch = new ByteBatch();
    let outstanding = 0;
    let refusal: SmtpReply | undefined;
    const judge = (reply: SmtpReply): void => {
      checkReplyFits('bdat', reply, 'data');
      outstanding--;
      if (!isPositive(reply)) refusal ??= reply;
    };
    await this.#pumpMessage(message, undefined, async (chunk) => {
      batch.push(encoder.push(chunk));
      if (batch.size < BDAT_CHUNK_BYTES) return true;
      outstanding++;
      if (!pipelined) {
        judge(await this.#bdat(batch.takePieces(), false));
        return refusal === undefined;
      }
      await this.#writeBdat(batch.takePieces(), false);
      for (let reply = this.#arrivedReply(); reply !== undefined; reply = this.#arrivedReply()) judge(reply);
      return refusal === undefined;
    });
    if (refusal === undefined) {
      batch.push(encoder.end());
      outstanding++;
      await this.#writeBdat(batch.takePieces(), true);
    }
    let last: SmtpReply | undefined;
    while (outstanding > 0) {
      last = await this.#readReply('data');
      judge(last);
    }
    return refusal ?? (last as SmtpReply);
  }

  /** Sends one BDAT chunk and reads its reply. */
  async #bdat(pieces: readonly Uint8Array[], last: boolean): Promise<SmtpReply> {
    this.#refuseUnsolicited('data');
    await this.#writeBdat(pieces, last);
    const reply = await this.#readReply('data');
    checkReplyFits('bdat', reply, 'data');
    return reply;
  }

  /** Writes one BDAT command and its chunk: one write when small, the pieces as they are when large. */
  async #writeBdat(pieces: readonly Uint8Array[], last: boolean): Promise<void> {
    let size = 0;
    for (const piece of pieces) size += piece.length;
    const command = `BDAT ${size}${last ? ' LAST' : ''}`;
    if (this.#transcribing) {
      this.#transcript.client(command);
      if (size > 0) this.#transcript.client(`<${size} bytes>`);
    }
    const line = encodeCommandLines([command], 'data');
    if (size < WRITE_BATCH_BYTES) {
      await this.#wire.write(Buffer.concat([line, ...pieces], line.length + size));
      return;
    }
    await this.#wire.write(line);
    for (const piece of pieces) await this.#wire.write(piece);
  }

  /**
   * A reply already received, without waiting for one: consumes the read in flight
   * if it has completed, and keeps one read in flight for the next call.
   */
  #arrivedReply(): SmtpReply | undefined {
    const reply = this.#takeReply('data', false);
    if (reply !== undefined) return reply;
    const inflight = this.#read();
    // A read still pending, failed, or at the end of the stream is left to the next blocking read to report.
    if (!inflight.settled || inflight.chunk === undefined || inflight.chunk === null) return undefined;
    this.#inflightRead = undefined;
    this.#parser.phase = 'data';
    this.#parser.push(inflight.chunk);
    this.#read();
    return this.#takeReply('data', false);
  }

  /**
   * Feeds the message's chunks to `sink` until it returns false; a failing
   * message source ends the session, since the server already has part of it.
   */
  async #pumpMessage(message: SmtpMessage, bytes: Uint8Array | undefined, sink: (chunk: Uint8Array) => Promise<boolean>): Promise<void> {
    const iterator = messageChunks(message, bytes);
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await iterator.next();
      } catch (cause) {
        throw new SmtpConnectionError('data', `Reading the message failed (${describe(cause)}); the connection was closed because the server had received part of it.`, {
          transient: false,
          cause,
        });
      }
      if (next.done === true) return;
      if (!(await sink(next.value))) {
        await iterator.return(undefined);
        return;
      }
    }
  }

  async #reset(): Promise<void> {
    let reply: SmtpReply;
    try {
      reply = await this.#exchange('mail', 'RSET');
    } catch (error) {
      this.#markUnusable(toSmtpError(error, 'mail', this.#timeouts));
      return;
    }
    if (isPositive(reply) && this.#parser.bufferedBytes === 0) {
      this.#state.endTransaction();
    } else {
      this.#markUnusable(new SmtpProtocolError('mail', `The server did not answer RSET cleanly (${summarizeReply(reply)}); the session state is unknown, so the connection was closed.`));
    }
  }

  /** Runs one public operation after the previous ones, turning every failure into an SmtpError and closing the session when its state is unknown. */
  #run<T>(phase: SmtpPhase, operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      await this.#replies;
      if (this.#unusable !== undefined) throw this.#closedError(phase);
      try {
        return await operation();
      } catch (error) {
        const failure = toSmtpError(error, phase, this.#timeouts);
        if (leavesSessionUnknown(failure)) this.#markUnusable(failure);
        throw failure;
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #closedError(phase: SmtpPhase): SmtpConnectionError {
    const cause = this.#unusable as SmtpError;
    if (cause.phase === 'quit' && cause instanceof SmtpConnectionError && !cause.transient) return new SmtpConnectionError(phase, cause.message, { transient: false });
    return new SmtpConnectionError(phase, `The connection was closed after an earlier error (${cause.message}). Connect again.`, { cause, transient: cause.transient });
  }

  #markUnusable(error: SmtpError): void {
    this.#unusable ??= error;
    this.#state.close();
    this.#wire.destroy();
  }

  /**
   * Refuses to send while a reply nobody asked for is waiting: the next command
   * would take it as its answer (a stray 235 read as the answer to AUTH), and
   * every later reply would be off by one.
   */
  #refuseUnsolicited(phase: SmtpPhase): void {
    const waiting = this.#parser.bufferedBytes;
    if (waiting === 0) return;
    throw new SmtpProtocolError(
      phase,
      `The server sent ${waiting} byte(s) that answer no command before the ${phase} step: its replies are out of step with the commands (a server bug, or replies injected on the way), so nothing more was sent and the connection was closed.`,
    );
  }

  /** Sends one command and reads its reply under the command deadline. */
  #exchange(phase: SmtpPhase, line: string): Promise<SmtpReply> {
    return this.#step(phase, this.#timeouts.command, async () => {
      this.#refuseUnsolicited(phase);
      await this.#writeLines(phase, [line]);
      return this.#readReply(phase);
    });
  }

  async #readStep(phase: SmtpPhase, ms: number, redactChallenges = false): Promise<SmtpReply> {
    // A reply already received needs no deadline: pipelined replies mostly arrive together.
    const received = this.#takeReply(phase, redactChallenges);
    if (received !== undefined) return received;
    return this.#step(phase, ms, () => this.#readReply(phase, redactChallenges));
  }

  async #step<T>(phase: SmtpPhase, ms: number, step: () => Promise<T>): Promise<T> {
    try {
      return await this.#wire.withDeadline(phase, ms, step);
    } catch (error) {
      throw toSmtpError(error, phase, this.#timeouts);
    }
  }

  async #writeLines(phase: SmtpPhase, lines: readonly string[], redacted?: readonly string[]): Promise<void> {
    const bytes = encodeCommandLines(lines, phase);
    if (this.#transcribing) lines.forEach((line, i) => this.#transcript.client(line, redacted?.[i]));
    await this.#wire.write(bytes);
  }

  async #readReply(phase: SmtpPhase, redactChallenges = false): Promise<SmtpReply> {
    for (;;) {
      const reply = this.#takeReply(phase, redactChallenges);
      if (reply !== undefined) return reply;
      await this.#pushNextChunk(phase);
    }
  }

  /** Takes a complete reply from the parser, reports it to the transcript and ends the session on 421. */
  #takeReply(phase: SmtpPhase, redactChallenges: boolean): SmtpReply | undefined {
    const parsed = this.#parser.next();
    if (parsed === undefined) return undefined;
    // Replies end up in errors and their messages, so a server echoing the password (a
    // misconfigured or hostile one) must not put it there. SASL challenges stay verbatim:
    // the mechanism needs their exact bytes, and they reach errors only through SaslError.
    const reply = parsed.code === 334 ? parsed : this.#scrubbed(parsed);
    if (this.#transcribing) {
      for (const line of this.#parser.lastRawLines) this.#transcript.server(line, redactChallenges && reply.code === 334 ? `334 ${REDACTED}` : undefined);
    }
    if (reply.code === 421 && phase !== 'quit') {
      throw new SmtpReplyError(phase, `The server is closing the connection: ${summarizeReply(reply)}. Try again later.`, reply);
    }
    return reply;
  }

  /** Registers a secret to be scrubbed from transcripts and from replies. */
  #addSecret(secret: string): void {
    this.#transcript.addSecret(secret);
    this.#secretsRegistered = true;
    this.#cleanTexts.clear();
  }

  #scrubbed(reply: SmtpReply): SmtpReply {
    if (!this.#secretsRegistered || this.#cleanTexts.has(reply.text)) return reply;
    // Remembered by its text: lines hold no line break, so an equal text means equal lines.
    if (reply.lines.every((line) => this.#transcript.scrub(line) === line)) {
      if (this.#cleanTexts.size >= CLEAN_TEXTS) this.#cleanTexts.clear();
      this.#cleanTexts.add(reply.text);
      return reply;
    }
    const lines = reply.lines.map((line) => this.#transcript.scrub(line));
    return { ...reply, lines, text: lines.join('\n') };
  }

  async #pushNextChunk(phase: SmtpPhase): Promise<void> {
    const chunk = await this.#read().promise;
    this.#inflightRead = undefined;
    if (chunk === null) {
      throw new SmtpConnectionError(phase, `The server closed the connection during ${phase} without a complete reply. Try again later; if it persists, check the server's logs.`);
    }
    this.#parser.phase = phase;
    this.#parser.push(chunk);
  }

  /**
   * The one outstanding read. A read that {@link SmtpClient.rawReadReply} stopped
   * waiting for stays here, with its bytes once they arrive, for the next reader.
   */
  #read(): InflightRead {
    if (this.#inflightRead === undefined) {
      const inflight: InflightRead = { promise: this.#wire.read(), received: 0, settled: false, chunk: undefined };
      inflight.promise.then(
        (chunk) => {
          inflight.received = chunk?.length ?? 0;
          inflight.settled = true;
          inflight.chunk = chunk;
        },
        () => {
          inflight.settled = true;
        },
      );
      this.#inflightRead = inflight;
    }
    return this.#inflightRead;
  }
}

/** A read from the connection and, once it completed, how many bytes it brought. */
interface InflightRead {
  promise: Promise<Uint8Array | null>;
  received: number;
  /** True once the read has completed or failed. */
  settled: boolean;
  /** What a completed read brought; `undefined` while pending or after a failure. */
  chunk: Uint8Array | null | undefined;
}

/** A pipelined send waiting for its turn to be written. */
interface UnwrittenSend {
  envelope: SmtpEnvelope;
  message: string | Uint8Array;
  resolve: (result: SmtpSendResult) => void;
  reject: (error: unknown) => void;
}

/** A pipelined transaction that has been written: what its replies are judged against, and who is waiting for the result. */
interface PipelinedTransaction {
  send: UnwrittenSend;
  /** The recipients, in the order of its RCPT commands. */
  recipients: readonly string[];
  /** Whether an RSET went before its MAIL, whose reply comes first. */
  reset: boolean;
  /** How many replies it gets. */
  expected: number;
}

/** The session step a pipelined transaction's reply at `index` answers: RSET and MAIL, RCPT, then BDAT. */
function replyPhase(transaction: PipelinedTransaction, index: number): SmtpPhase {
  if (index === transaction.expected - 1) return 'data';
  return index <= (transaction.reset ? 1 : 0) ? 'mail' : 'rcpt';
}

/** Whether an error leaves the session in a state the client cannot vouch for, so the connection must close. */
function leavesSessionUnknown(error: SmtpError): boolean {
  if (error instanceof FatalAuthError) return true;
  if (error instanceof SmtpReplyError) return error.reply.code === 421;
  return !(error instanceof SmtpAuthError || error instanceof SmtpArgumentError || error instanceof SmtpCapabilityError);
}

const DROPPED_CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

function isDroppedConnection(cause: Error): boolean {
  return 'code' in cause && typeof cause.code === 'string' && DROPPED_CONNECTION_CODES.has(cause.code);
}

function checkCredentials(credentials: SmtpCredentials): string {
  if (typeof credentials !== 'object' || credentials === null || typeof credentials.username !== 'string') {
    throw new SmtpArgumentError('auth', 'Credentials must be { username, password } or { username, accessToken }.');
  }
  if ('password' in credentials && typeof credentials.password === 'string') return credentials.password;
  if ('accessToken' in credentials && typeof credentials.accessToken === 'string') return credentials.accessToken;
  throw new SmtpArgumentError('auth', 'Credentials must carry a password or an accessToken string.');
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * Maps anything thrown during a phase to this package's errors.
 *
 * @param error - what was thrown
 * @param phase - the phase that was running
 * @param timeouts - the deadlines, to name the one that passed
 * @returns the SmtpError to throw
 */
function toSmtpError(error: unknown, phase: SmtpPhase, timeouts: Record<SmtpTimeoutPhase, number>): SmtpError {
  if (error instanceof SmtpError) return error;
  if (error instanceof WireError) {
    switch (error.kind) {
      case 'timeout': {
        const setting = phase === 'connect' ? 'connect' : phase === 'greeting' ? 'greeting' : phase === 'data' ? 'data' : 'command';
        return new SmtpTimeoutError(phase, `${error.message} The server is slow or unreachable: try again later, or raise timeouts.${setting} (now ${timeouts[setting]} ms).`, {
          cause: error,
        });
      }
      case 'aborted':
        return new SmtpAbortError(phase, { cause: error });
      case 'tls':
        // A peer that hangs up mid-handshake has not refused TLS: that is a lost connection, worth retrying.
        if (error.cause instanceof Error && isDroppedConnection(error.cause)) {
          return new SmtpConnectionError(phase, `The server closed the connection during the TLS handshake (${error.cause.message}). Try again later.`, {
            cause: error,
            transient: true,
          });
        }
        return new SmtpTlsError(phase, error.message, { cause: error });
      case 'injection':
        return new SmtpProtocolError(phase, error.message, { cause: error });
      case 'connect':
      case 'closed':
      case 'reset':
        return new SmtpConnectionError(phase, error.message, { cause: error, transient: error.transient });
    }
  }
  if (error instanceof SaslError) return new SmtpAuthError(`Authentication failed: ${error.message}.`, { cause: error });
  return new SmtpError(phase, `Unexpected failure during ${phase}: ${describe(error)}`, { cause: error });
}
