import * as net from 'node:net';
import * as tls from 'node:tls';
import { tlsFixtures } from '../src/index.js';

/**
 * A deliberately dumb SMTP client over a raw socket, so the fake server is tested
 * without the sysmail client: it writes bytes and reads whole replies.
 */
export class RawSmtp {
  #socket: net.Socket;
  #buffer = Buffer.alloc(0);
  #ended = false;
  #waiter: (() => void) | undefined;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    this.#attach(socket);
  }

  static async connect(port: number, options: { implicitTls?: boolean } = {}): Promise<RawSmtp> {
    const socket = options.implicitTls
      ? tls.connect({ host: '127.0.0.1', port, ca: tlsFixtures.ca, servername: 'localhost' })
      : net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.implicitTls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new RawSmtp(socket);
    open.add(client);
    return client;
  }

  get socket(): net.Socket {
    return this.#socket;
  }

  write(data: string | Uint8Array): void {
    this.#socket.write(data);
  }

  /** Sends one command line and reads its reply. */
  async command(line: string): Promise<string> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** Reads one complete (possibly multi-line) reply, lines joined by CRLF, or throws at EOF. */
  async reply(): Promise<string> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.line();
      if (line === null) throw new Error(`connection closed after ${JSON.stringify(lines)}`);
      lines.push(line);
      if (!/^\d{3}-/.test(line)) return lines.join('\r\n');
    }
  }

  /** Reads one CRLF line (without it), or null at EOF. */
  async line(): Promise<string | null> {
    for (;;) {
      const end = this.#buffer.indexOf('\r\n');
      if (end >= 0) {
        const line = this.#buffer.subarray(0, end).toString('utf8');
        this.#buffer = this.#buffer.subarray(end + 2);
        return line;
      }
      if (this.#ended) return null;
      await this.#more();
    }
  }

  /** Everything until the server closes. */
  async rest(): Promise<Buffer> {
    while (!this.#ended) await this.#more();
    const all = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return all;
  }

  /** Bytes received and not read yet. */
  get buffered(): Buffer {
    return this.#buffer;
  }

  /** Waits until at least `count` bytes are buffered or the server closed. */
  async waitForBytes(count: number): Promise<void> {
    while (this.#buffer.length < count && !this.#ended) await this.#more();
  }

  /** Upgrades to TLS after a 220 to STARTTLS, trusting the test CA. */
  async startTls(): Promise<void> {
    const plain = this.#socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('end');
    plain.removeAllListeners('close');
    const secured = tls.connect({ socket: plain, ca: tlsFixtures.ca, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secured.once('secureConnect', () => resolve());
      secured.once('error', reject);
    });
    this.#socket = secured;
    this.#attach(secured);
  }

  get closed(): boolean {
    return this.#ended;
  }

  destroy(): void {
    this.#socket.destroy();
    open.delete(this);
  }

  #attach(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    const end = (): void => {
      this.#ended = true;
      this.#wake();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', () => undefined);
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

const open = new Set<RawSmtp>();

/** Destroys every client a test left open (call from afterEach). */
export function destroyRawClients(): void {
  for (const client of open) client.destroy();
}
