import type * as net from 'node:net';
import * as tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { splitForFaults, type OutputFaults } from './output-faults.js';

/** The longest line a fake server accepts from a client before dropping it. */
const MAX_LINE_BYTES = 1024 * 1024;

/**
 * The pause between two pieces of a split write. One `setImmediate` is not enough when the
 * client runs in the same process (every test): a write made in the poll phase would be
 * followed by the next one in the same loop turn's check phase, before the client reads, and
 * the pieces would reach it as one chunk. Two turns take the loop through a poll phase.
 */
async function pieceGap(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

/**
 * One client connection to a fake server: line and byte reads, writes shaped
 * by {@link OutputFaults}, and the server side of a TLS upgrade. Protocol
 * logic (SMTP, POP3) is written on top of it.
 */
export class ServerConnection {
  #socket: net.Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #ended = false;
  #waiter: (() => void) | undefined;
  /** The faults applied to every write; may be changed between writes. */
  faults: OutputFaults;

  /**
   * Wraps an accepted socket and starts buffering what the client sends.
   * @param socket - the accepted socket (plain or TLS)
   * @param faults - the faults applied to every write
   */
  constructor(socket: net.Socket, faults: OutputFaults = {}) {
    this.#socket = socket;
    this.faults = faults;
    this.#listen(socket);
  }

  /** True once the connection runs over TLS. */
  get secure(): boolean {
    return this.#socket instanceof tls.TLSSocket;
  }

  /** The client's address, as the socket reports it. */
  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  /** The TLS socket, once secure (for channel binding). */
  get tlsSocket(): tls.TLSSocket | undefined {
    return this.#socket instanceof tls.TLSSocket ? this.#socket : undefined;
  }

  /** Bytes received and not yet read: what a pipelining client sent ahead. */
  get bufferedBytes(): number {
    return this.#buffer.length;
  }

  /**
   * Reads one line, LF-terminated (CRLF or a bare LF).
   *
   * @returns the line including its terminator, or `null` when the client closed first
   */
  async readLine(): Promise<Buffer | null> {
    for (;;) {
      const lf = this.#buffer.indexOf(0x0a);
      if (lf >= 0) {
        const line = this.#buffer.subarray(0, lf + 1);
        this.#buffer = this.#buffer.subarray(lf + 1);
        return line;
      }
      if (this.#buffer.length > MAX_LINE_BYTES) {
        this.destroy();
        return null;
      }
      if (this.#ended) return null;
      await this.#more();
    }
  }

  /**
   * Reads exactly `count` bytes (for BDAT chunks).
   *
   * @param count - how many bytes
   * @returns them, or `null` when the client closed first
   */
  async readExactly(count: number): Promise<Buffer | null> {
    while (this.#buffer.length < count) {
      if (this.#ended) return null;
      await this.#more();
    }
    const bytes = this.#buffer.subarray(0, count);
    this.#buffer = this.#buffer.subarray(count);
    return bytes;
  }

  /**
   * Sends bytes or text, shaped by the current faults. Resolves once the socket
   * accepted every piece, waiting for `drain` whenever its buffer is full.
   *
   * @param data - what to send; text goes out as UTF-8
   */
  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const { delayMs, dripMs } = this.faults;
    if (delayMs !== undefined) await sleep(delayMs);
    const pieces = splitForFaults(bytes, this.faults);
    for (const [index, piece] of pieces.entries()) {
      if (index > 0) await (dripMs !== undefined ? sleep(dripMs) : pieceGap());
      // A client that left during a delay or drip ends the reply here: writing on would never drain.
      if (!this.#socket.writable) return;
      if (!this.#socket.write(piece)) await this.#drained();
    }
  }

  /**
   * Upgrades to TLS as the server side of STARTTLS/STLS. Bytes the client sent
   * before the handshake stay in the buffer and are served by later reads —
   * exactly the server-side injection flaw, which {@link ServerConnection.discardBuffered}
   * lets a well-behaved server avoid.
   *
   * @param options - the server's certificate and key
   */
  async startTls(options: { cert: string; key: string }): Promise<void> {
    const plain = this.#socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('end');
    const secured = new tls.TLSSocket(plain, { isServer: true, cert: options.cert, key: options.key });
    this.#socket = secured;
    this.#listen(secured);
    await new Promise<void>((resolve, reject) => {
      secured.once('secure', () => resolve());
      secured.once('error', reject);
      secured.once('close', () => reject(new Error('closed during TLS handshake')));
    });
  }

  /** Drops whatever the client sent that was not read yet (what a server must do after STARTTLS). */
  discardBuffered(): void {
    this.#buffer = Buffer.alloc(0);
  }

  /** Closes gracefully after what was sent is flushed. */
  end(): void {
    this.#socket.end();
  }

  /** Tears the connection down at once. */
  destroy(): void {
    this.#socket.destroy();
  }

  #listen(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    socket.on('end', () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#wake();
    });
    // A client that resets the connection is part of what the fake servers must survive.
    socket.on('error', () => undefined);
  }

  /** Waits until the socket's write buffer drains, so large bodies go out with backpressure. */
  #drained(): Promise<void> {
    const socket = this.#socket;
    return new Promise((resolve) => {
      // 'close' may have fired already (a write after the client left returns false too).
      if (!socket.writable) return resolve();
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        socket.off('error', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
      socket.on('error', done);
    });
  }

  #more(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}
