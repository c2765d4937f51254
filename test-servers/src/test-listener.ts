import * as net from 'node:net';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';

/** A listening fake server. */
export interface TestListener {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** The host it listens on: `127.0.0.1`. */
  readonly host: string;
  /** Stops listening and destroys every open connection; idempotent. */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 (port 0 unless given), plain or with implicit TLS, and
 * hands each accepted socket to `onSocket`. Every socket is tracked so that
 * `close()` leaves nothing open behind a test.
 *
 * @param options - port, implicit TLS certificate, and the per-connection handler
 * @returns the listener once it is bound
 */
export async function listen(options: {
  port?: number;
  implicitTls?: { cert: string; key: string };
  onSocket: (socket: net.Socket) => void;
}): Promise<TestListener> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    options.onSocket(socket);
  };
  const server = options.implicitTls
    ? tls.createServer({ cert: options.implicitTls.cert, key: options.implicitTls.key }, track)
    : net.createServer(track);
  // A failed handshake (a client refusing our certificate) is expected in tests.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port,
    host: '127.0.0.1',
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
