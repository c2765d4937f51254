import * as net from 'node:net';
import * as tls from 'node:tls';
import { WireError } from './wire-error.js';
import type { TlsDetails, WireTlsOptions } from './tls-options.js';
import { Transcript } from './transcript.js';
import { describeTlsFailure } from './tls-failure.js';
import { RearmableDeadline, type DeadlineRestart } from './rearmable-deadline.js';

/** How to reach the server. */
export interface WireConnectOptions {
  /** Host name or IP address. */
  host: string;
  /** TCP port. */
  port: number;
  /** Start TLS at once (SMTPS on 465, POP3S on 995) instead of a plaintext connection. */
  implicitTls?: boolean;
  /** TLS settings for implicit TLS, also kept as the defaults of a later {@link WireConnection.upgradeToTls}. */
  tls?: WireTlsOptions;
  /** The local address to connect from. */
  localAddress?: string;
  /** Aborts the connection, and whatever is in flight on it, when it fires. */
  signal?: AbortSignal;
  /** Total milliseconds for the TCP connection and, with implicit TLS, the handshake. */
  connectTimeout: number;
  /** Where transcript lines go; the connection itself reports TLS details as `info`. */
  transcript?: Transcript;
  /**
   * How many received bytes may wait unread before the socket is paused. Reading
   * is pull-based, so a slow consumer makes TCP push back on the server instead
   * of growing memory. Default 1 MiB; the read that crosses it (up to 256 KiB)
   * is kept.
   */
  maxBufferedBytes?: number;
}

/** Channel-binding data for SASL `-PLUS` mechanisms (RFC 9266). */
export interface ChannelBinding {
  /** The channel-binding type; sysmail supports only `tls-exporter`. */
  type: 'tls-exporter';
  /** The 32 bytes exported under the label `EXPORTER-Channel-Binding`. */
  data: Uint8Array;
}

const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

/** How many bytes one read of a plaintext socket may return. */
const READ_BUFFER_BYTES = 256 * 1024;

/**
 * A read this much smaller than the buffer it landed in is copied out, so the
 * buffer is used again and a short line does not pin 256 KiB; a larger one is
 * handed on as it is, without a copy, and the next read gets a fresh buffer.
 */
const COPIED_READ_BYTES = READ_BUFFER_BYTES / 4;

/** The buffers a plaintext socket reads into (Node's `onread`). */
class ReadBuffers {
  #buffer: Buffer | undefined;

  /** The buffer for the next read. */
  get buffer(): Buffer {
    this.#buffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
    return this.#buffer;
  }

  /**
   * The bytes of a read that filled `buffer` up to `received`, as a chunk of their own.
   *
   * @param received - how many bytes the read returned
   * @param buffer - the buffer it read into
   */
  take(received: number, buffer: Uint8Array): Buffer {
    if (received < COPIED_READ_BYTES) return Buffer.from(buffer.subarray(0, received));
    if (buffer === this.#buffer) this.#buffer = undefined;
    return Buffer.from(buffer.buffer, buffer.byteOffset, received);
  }
}

/**
 * A byte stream to a server over TCP or TLS, with pull-based bounded reads,
 * writes that respect backpressure, total per-phase deadlines, abort, and an
 * in-place TLS upgrade that refuses any byte received before the handshake.
 * It knows nothing of SMTP or POP3.
 *
 * Every failure — the peer's, a deadline's, the caller's abort — settles every
 * pending operation with a {@link WireError} and destroys the socket, so no
 * promise is left hanging and no socket or timer outlives the connection.
 */
export class WireConnection {
  #socket: net.Socket;
  readonly #options: WireConnectOptions;
  readonly #transcript: Transcript;
  readonly #maxBuffered: number;
  readonly #chunks: Buffer[] = [];
  #bufferedBytes = 0;
  #ended = false;
  #closed = false;
  #error: WireError | undefined;
  #pendingRead: { resolve: (chunk: Uint8Array | null) => void; reject: (error: WireError) => void } | undefined;
  readonly #failureWaiters = new Set<(error: WireError) => void>();
  #tlsDetails: TlsDetails | undefined;
  readonly #onAbort = (): void => {
    const reason: unknown = this.#options.signal?.reason;
    this.#fail(new WireError('aborted', 'The operation was aborted by the caller.', { cause: reason }));
  };

  private constructor(socket: net.Socket, options: WireConnectOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#transcript = options.transcript ?? new Transcript();
    this.#maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

  /**
   * Connects to the server, over TLS at once when `implicitTls` is set.
   *
   * @param options - where and how to connect
   * @returns the open connection
   * @throws {@link WireError} `connect`, `tls`, `timeout` or `aborted`
   */
  static async connect(options: WireConnectOptions): Promise<WireConnection> {
    const { signal } = options;
    if (signal?.aborted) {
      throw new WireError('aborted', 'The operation was aborted by the caller before connecting.', { cause: signal.reason });
    }
    let connection: WireConnection | undefined;
    const reads = new ReadBuffers();
    const socket: net.Socket = options.implicitTls
      ? // tls.connect passes socket.connect() options such as localAddress through; its typings omit them.
        tls.connect({ ...tlsConnectOptions(options.host, options.tls), port: options.port, localAddress: options.localAddress } as tls.ConnectionOptions)
      : net.connect({
          host: options.host,
          port: options.port,
          localAddress: options.localAddress,
          // Plaintext is read into buffers of our own size, up to four times Node's 64 KiB per read:
          // a fast server's bytes then cost a quarter of the reads, events and parser passes.
          onread: {
            buffer: () => reads.buffer,
            callback: (received: number, buffer: Uint8Array): boolean => {
              // After a TLS upgrade the TLS layer owns the socket; nothing more arrives here.
              if (connection !== undefined && connection.#socket === socket) connection.#onData(reads.take(received, buffer));
              // #onData pauses the socket itself when too much is waiting.
              return true;
            },
          },
        });
    connection = new WireConnection(socket, options);
    signal?.addEventListener('abort', connection.#onAbort, { once: true });
    try {
      await connection.withDeadline('connect', options.connectTimeout, () =>
        connection.#awaitEstablished(socket, options.implicitTls === true ? 'secureConnect' : 'connect'),
      );
    } catch (error) {
      connection.destroy();
      throw error;
    }
    connection.#attach(socket);
    if (options.implicitTls) connection.#reportTls(socket as tls.TLSSocket);
    return connection;
  }

  /** True once the connection runs over TLS, implicitly or after an upgrade. */
  get secure(): boolean {
    return this.#socket instanceof tls.TLSSocket;
  }

  /** The negotiated TLS parameters, once secure. */
  get tlsDetails(): TlsDetails | undefined {
    return this.#tlsDetails;
  }

  /** The local IP address of the connection, e.g. for an SMTP client's EHLO address literal. */
  get localAddress(): string | undefined {
    return this.#socket.localAddress;
  }

  /** True once the connection has been closed or destroyed, by either side. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The transcript this connection reports to. */
  get transcript(): Transcript {
    return this.#transcript;
  }

  /**
   * The `tls-exporter` channel binding of RFC 9266, available over TLS 1.3 only:
   * on TLS 1.2 without extended master secret the exporter does not bind the
   * channel, so no binding is offered there rather than a weak one.
   *
   * @returns the binding, or `undefined` when not on TLS 1.3
   */
  channelBinding(): ChannelBinding | undefined {
    const socket = this.#socket;
    if (!(socket instanceof tls.TLSSocket) || socket.getProtocol() !== 'TLSv1.3') return undefined;
    const data = socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
    return { type: 'tls-exporter', data: new Uint8Array(data) };
  }

  /**
   * Returns the next chunk of received bytes, waiting for one if none is
   * buffered. Only one read may be pending at a time.
   *
   * @returns the bytes, or `null` once the peer has closed its side and everything was read
   * @throws {@link WireError} when the connection failed, timed out or was aborted
   */
  read(): Promise<Uint8Array | null> {
    if (this.#pendingRead !== undefined) {
      return Promise.reject(new Error('WireConnection.read() called while another read is pending'));
    }
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) {
      this.#consumed(chunk.length);
      return Promise.resolve(chunk);
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended || this.#closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#pendingRead = { resolve, reject };
    });
  }

  /**
   * Writes bytes, resolving once the socket accepts more: when the kernel's
   * buffer is full this waits for it to drain, so a producer that awaits each
   * write streams in constant memory.
   *
   * @param data - bytes, or text sent as UTF-8
   * @throws {@link WireError} when the connection has failed or closed
   */
  async write(data: Uint8Array | string): Promise<void> {
    if (this.#error !== undefined) throw this.#error;
    if (this.#closed || this.#socket.writableEnded) {
      throw new WireError('closed', 'The connection is closed; nothing more can be sent on it.');
    }
    if (this.#socket.write(data)) return;
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.#failureWaiters.delete(onFailure);
        resolve();
      };
      const onFailure = (error: WireError): void => {
        this.#socket.off('drain', onDrain);
        reject(error);
      };
      this.#socket.once('drain', onDrain);
      this.#failureWaiters.add(onFailure);
    });
  }

  /**
   * Upgrades this plaintext connection to TLS in place (STARTTLS, STLS).
   *
   * Any byte received and not yet consumed when the upgrade starts is treated
   * as an attack: a man in the middle can append plaintext to the server's
   * "go ahead" so that a careless client reads it later as if it had come
   * over TLS (CVE-2011-0411 and its client-side twins). The connection is then
   * destroyed. The protocol client must also pass the count of bytes its own
   * parser holds beyond the STARTTLS reply.
   *
   * @param options - TLS settings (defaulting to those given at connect) and the parser's leftover byte count
   * @throws {@link WireError} `injection` when bytes were waiting, `tls` when the handshake or verification failed
   */
  async upgradeToTls(options: { tls?: WireTlsOptions; pendingBytes?: number } = {}): Promise<void> {
    if (this.secure) throw new Error('The connection is already secure');
    if (this.#error !== undefined) throw this.#error;
    const plain = this.#socket;
    const waiting = this.#bufferedBytes + plain.readableLength + (options.pendingBytes ?? 0);
    if (waiting > 0) {
      const error = new WireError(
        'injection',
        `The server sent ${waiting} byte(s) after its reply to the TLS upgrade command and before the TLS handshake. ` +
          'Those bytes could have been injected by an attacker on the network, so the connection was closed. ' +
          'Check for a man in the middle between this host and the server.',
      );
      this.#fail(error);
      throw error;
    }
    this.#detach(plain);
    const secured = tls.connect({ ...tlsConnectOptions(this.#options.host, options.tls ?? this.#options.tls), socket: plain });
    this.#socket = secured;
    // Until the handshake completes, its own listener owns errors, so a refused
    // certificate is reported as a TLS failure with advice rather than a reset.
    await this.#awaitEstablished(secured, 'secureConnect');
    this.#attach(secured);
    this.#reportTls(secured);
  }

  /**
   * Runs one protocol step under a total deadline: when `ms` milliseconds
   * pass before the step settles, the connection is destroyed and the step
   * fails with a `timeout` {@link WireError} naming the phase. A server that
   * drips one byte a second cannot stretch the step, unlike with an idle timer.
   *
   * A step made of many exchanges (a pipelined batch) can give each its own
   * deadline with the `restart` it is passed, which costs no timer per call.
   *
   * @param phase - the protocol's name for the step (`greeting`, `data`…), carried by the error
   * @param ms - the deadline in milliseconds
   * @param step - the step; `restart(phase, ms)` moves its deadline to `ms` from now
   * @returns what the step returned
   */
  async withDeadline<T>(phase: string, ms: number, step: (restart: DeadlineRestart) => Promise<T>): Promise<T> {
    if (this.#error !== undefined) throw this.#error;
    let onFailure: ((error: WireError) => void) | undefined;
    const guard = new Promise<never>((_, reject) => {
      onFailure = (error: WireError): void => {
        // A timeout or an abort is the cause itself. Any other failure is most
        // likely the step's own doing (it destroyed the connection on a
        // protocol error), so give the step one turn to reject with its own,
        // more precise error before this generic one wins the race.
        if (error.kind === 'timeout' || error.kind === 'aborted') reject(error);
        else setImmediate(() => reject(error));
      };
      this.#failureWaiters.add(onFailure);
    });
    const deadline = new RearmableDeadline(phase, ms, (expiredPhase, expiredMs) => {
      this.#fail(
        new WireError('timeout', `No complete answer from the server within ${expiredMs / 1000} s during ${expiredPhase}; the connection was closed.`, {
          phase: expiredPhase,
        }),
      );
    });
    try {
      const running = step(deadline.restart);
      // The step's own rejection after a timeout is expected and already reported.
      running.catch(() => undefined);
      return await Promise.race([running, guard]);
    } finally {
      deadline.cancel();
      if (onFailure !== undefined) this.#failureWaiters.delete(onFailure);
    }
  }

  /**
   * Closes the connection gracefully: flushes what was written, sends FIN (and
   * TLS close_notify), then releases the socket. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    const socket = this.#socket;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end(() => socket.destroy());
    });
    this.destroy();
  }

  /**
   * Tears the connection down at once, failing anything pending with `error`
   * (by default a `closed` {@link WireError}). Idempotent: only the first
   * call's error is kept.
   *
   * @param error - the error pending and later operations fail with, e.g. the protocol violation that made the client give up
   */
  destroy(error?: WireError): void {
    if (!this.#closed) this.#fail(error ?? new WireError('closed', 'The connection was closed by the client.'));
  }

  #fail(error: WireError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#error ??= error;
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    this.#socket.destroy();
    const pending = this.#pendingRead;
    this.#pendingRead = undefined;
    pending?.reject(this.#error);
    for (const waiter of [...this.#failureWaiters]) waiter(this.#error);
    this.#failureWaiters.clear();
  }

  #awaitEstablished(socket: net.Socket, event: 'connect' | 'secureConnect'): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        socket.off(event, onReady);
        socket.off('error', onError);
        socket.off('close', onClose);
        this.#failureWaiters.delete(onFailure);
      };
      const onReady = (): void => {
        cleanup();
        resolve();
      };
      const onError = (cause: Error): void => {
        cleanup();
        const error = event === 'secureConnect' ? describeTlsFailure(this.#options, cause) : connectFailure(this.#options, cause);
        this.#fail(error);
        reject(error);
      };
      const onClose = (): void => {
        cleanup();
        const error = new WireError('closed', `The server at ${this.#options.host}:${this.#options.port} closed the connection during ${event === 'connect' ? 'connect' : 'the TLS handshake'}.`);
        this.#fail(error);
        reject(error);
      };
      const onFailure = (error: WireError): void => {
        cleanup();
        reject(error);
      };
      socket.once(event, onReady);
      socket.once('error', onError);
      socket.once('close', onClose);
      this.#failureWaiters.add(onFailure);
    });
  }

  #attach(socket: net.Socket): void {
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  #detach(socket: net.Socket): void {
    socket.off('data', this.#onData);
    socket.off('end', this.#onEnd);
    socket.off('error', this.#onError);
    socket.off('close', this.#onClose);
  }

  readonly #onData = (chunk: Buffer): void => {
    const pending = this.#pendingRead;
    if (pending !== undefined && this.#chunks.length === 0) {
      this.#pendingRead = undefined;
      pending.resolve(chunk);
      return;
    }
    this.#chunks.push(chunk);
    this.#bufferedBytes += chunk.length;
    if (this.#bufferedBytes > this.#maxBuffered) this.#socket.pause();
  };

  readonly #onEnd = (): void => {
    this.#ended = true;
    const pending = this.#pendingRead;
    this.#pendingRead = undefined;
    pending?.resolve(null);
  };

  readonly #onError = (cause: Error): void => {
    this.#fail(new WireError('reset', `The connection to ${this.#options.host}:${this.#options.port} failed: ${cause.message}`, { cause }));
  };

  readonly #onClose = (): void => {
    if (this.#closed) return;
    this.#ended = true;
    this.#closed = true;
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    const pending = this.#pendingRead;
    this.#pendingRead = undefined;
    pending?.resolve(null);
    const error = new WireError('closed', 'The server closed the connection.');
    for (const waiter of [...this.#failureWaiters]) waiter(error);
    this.#failureWaiters.clear();
  };

  #consumed(bytes: number): void {
    this.#bufferedBytes -= bytes;
    if (this.#bufferedBytes <= this.#maxBuffered && this.#socket.isPaused() && !this.#closed) this.#socket.resume();
  }

  #reportTls(socket: tls.TLSSocket): void {
    const cipher = socket.getCipher();
    const peer = socket.getPeerCertificate();
    const hasPeer = peer !== null && typeof peer === 'object' && Object.keys(peer).length > 0;
    this.#tlsDetails = {
      protocol: socket.getProtocol() ?? 'unknown',
      cipher: cipher.standardName ?? cipher.name,
      peerSubject: hasPeer ? commonName(peer.subject) : undefined,
      peerIssuer: hasPeer ? commonName(peer.issuer) : undefined,
      peerValidTo: hasPeer ? peer.valid_to : undefined,
      peerFingerprint256: hasPeer ? peer.fingerprint256 : undefined,
      authorized: socket.authorized,
    };
    const d = this.#tlsDetails;
    this.#transcript.info(`TLS established: ${d.protocol}, ${d.cipher}`);
    if (hasPeer) {
      this.#transcript.info(
        `Peer certificate: subject CN=${d.peerSubject ?? '?'}, issuer CN=${d.peerIssuer ?? '?'}, valid until ${d.peerValidTo ?? '?'}, ` +
          `${d.authorized ? 'verified' : `NOT verified (${String(socket.authorizationError)})`}`,
      );
    }
  }
}

function commonName(name: tls.Certificate | undefined): string | undefined {
  const cn = name?.CN;
  return Array.isArray(cn) ? cn.join(', ') : cn;
}

function tlsConnectOptions(host: string, options: WireTlsOptions | undefined): tls.ConnectionOptions {
  const servername = options?.servername ?? host;
  return {
    host,
    // SNI must not carry an IP address (RFC 6066 §3); the certificate is still checked against it.
    servername: net.isIP(servername) === 0 ? servername : undefined,
    checkServerIdentity: (_hostname: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(servername, cert),
    ca: options?.ca as tls.ConnectionOptions['ca'],
    cert: options?.cert as tls.ConnectionOptions['cert'],
    key: options?.key as tls.ConnectionOptions['key'],
    rejectUnauthorized: options?.rejectUnauthorized !== false,
    minVersion: options?.minVersion,
  };
}

function connectFailure(options: WireConnectOptions, cause: Error): WireError {
  const where = `${options.host}:${options.port}`;
  return new WireError(
    'connect',
    `Could not connect to ${where}: ${cause.message}. Check the server name and port, and that the server is running and reachable from this host.`,
    { cause },
  );
}
