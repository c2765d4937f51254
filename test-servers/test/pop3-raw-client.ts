import * as net from 'node:net';
import * as tls from 'node:tls';
import { tlsFixtures } from '../src/index.js';

/**
 * A deliberately dumb POP3 peer over a raw socket, so the fake server is tested without
 * the sysmail client (written in parallel): it sends what it is told and reads lines or bytes.
 */
export class RawPop3 {
  socket: net.Socket;
  buffer: Buffer = Buffer.alloc(0);
  chunks: Buffer[] = [];
  ended = false;
  #waiter: (() => void) | undefined;

  constructor(socket: net.Socket) {
    this.socket = socket;
    this.#attach(socket);
  }

  static open = new Set<RawPop3>();

  static async connect(port: number, options: { tls?: boolean } = {}): Promise<RawPop3> {
    const socket = options.tls
      ? tls.connect({ host: '127.0.0.1', port, ca: tlsFixtures.ca, servername: 'localhost' })
      : net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new RawPop3(socket);
    RawPop3.open.add(client);
    return client;
  }

  static closeAll(): void {
    for (const client of RawPop3.open) client.socket.destroy();
    RawPop3.open.clear();
  }

  #attach(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.#wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.#wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.#wake();
    });
    socket.on('error', () => undefined);
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  async #more(): Promise<void> {
    if (this.ended) throw new Error(`connection closed; unread: ${JSON.stringify(this.buffer.toString('latin1'))}`);
    await new Promise<void>((resolve) => {
      this.#waiter = resolve;
    });
  }

  /** Reads one CRLF line, without its CRLF. */
  async line(): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end >= 0) {
        const line = this.buffer.subarray(0, end).toString('utf8');
        this.buffer = this.buffer.subarray(end + 2);
        return line;
      }
      await this.#more();
    }
  }

  /** Reads the lines of a multi-line response up to, not including, the '.' terminator (still stuffed). */
  async lines(): Promise<string[]> {
    const lines: string[] = [];
    for (let line = await this.line(); line !== '.'; line = await this.line()) lines.push(line);
    return lines;
  }

  /** Reads a multi-line body raw, up to and including CRLF.CRLF, and returns it without the terminator. */
  async body(): Promise<Buffer> {
    for (let from = 0; ; ) {
      if (this.buffer.length >= 3 && this.buffer.subarray(0, 3).toString() === '.\r\n') {
        this.buffer = this.buffer.subarray(3);
        return Buffer.alloc(0);
      }
      const end = this.buffer.indexOf('\r\n.\r\n', from);
      if (end >= 0) {
        const body = this.buffer.subarray(0, end + 2);
        this.buffer = this.buffer.subarray(end + 5);
        return body;
      }
      from = Math.max(0, this.buffer.length - 4);
      await this.#more();
    }
  }

  /** Reads exactly `count` bytes. */
  async bytes(count: number): Promise<Buffer> {
    while (this.buffer.length < count) await this.#more();
    const bytes = this.buffer.subarray(0, count);
    this.buffer = this.buffer.subarray(count);
    return bytes;
  }

  /** Waits until the server closes the connection and returns what was left unread. */
  async untilClosed(): Promise<Buffer> {
    while (!this.ended) {
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
    }
    return this.buffer;
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Sends one command and returns the status line. */
  async command(text: string): Promise<string> {
    this.send(`${text}\r\n`);
    return this.line();
  }

  /** Upgrades to TLS after an STLS +OK; any unread byte is returned, as the injection evidence. */
  async startTls(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('end');
    plain.removeAllListeners('close');
    const secured = tls.connect({ socket: plain, ca: tlsFixtures.ca, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secured.once('secureConnect', () => resolve());
      secured.once('error', reject);
    });
    this.socket = secured;
    this.#attach(secured);
  }
}
