import { listen, ServerConnection, type TestListener } from '@sysmail/test-servers';

/** A hand-written hostile server for behaviours no fake-server option covers, with what the client sent. */
export interface RawServer {
  /** The port on 127.0.0.1. */
  readonly port: number;
  /** Every line the client sent, line end removed. */
  readonly lines: string[];
  /** Stops listening and destroys the connections. */
  close(): Promise<void>;
}

/**
 * Starts a server that runs `script` on each connection, with `readLine`
 * recording what the client sent and `isOpen` telling whether the client is still there.
 *
 * @param script - the hostile behaviour
 * @returns the server, once it listens
 */
export async function startRawServer(
  script: (connection: ServerConnection, readLine: () => Promise<string | null>, isOpen: () => boolean) => Promise<void>,
): Promise<RawServer> {
  const lines: string[] = [];
  const listener: TestListener = await listen({
    onSocket(socket) {
      socket.setNoDelay(true);
      const connection = new ServerConnection(socket);
      const readLine = async (): Promise<string | null> => {
        const line = await connection.readLine();
        if (line === null) return null;
        const text = line.toString('latin1').replace(/\r?\n$/, '');
        lines.push(text);
        return text;
      };
      let open = true;
      socket.once('close', () => {
        open = false;
      });
      script(connection, readLine, () => open).catch(() => socket.destroy());
    },
  });
  return { port: listener.port, lines, close: () => listener.close() };
}
