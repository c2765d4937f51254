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

/**
 * Starts a server that lets the TLS handshake begin and then drops the
 * connection: for implicit TLS at once, for STARTTLS / STLS after answering
 * the upgrade command positively. The client's first handshake bytes are
 * awaited so the drop lands in the middle of the handshake.
 *
 * @param upgrade - how the plaintext part goes: `smtp` or `pop3` STARTTLS / STLS, or `implicit` for none
 * @returns the server, once it listens
 */
export async function startHandshakeDropper(upgrade: 'implicit' | 'smtp' | 'pop3'): Promise<RawServer> {
  const lines: string[] = [];
  const listener: TestListener = await listen({
    onSocket(socket) {
      let text = '';
      const granted = (): void => {
        socket.removeAllListeners('data');
        // The ClientHello arrives, then the server hangs up without a word of TLS.
        socket.once('data', () => socket.destroy());
      };
      socket.on('error', () => undefined);
      if (upgrade === 'implicit') return granted();
      socket.write(upgrade === 'smtp' ? '220 dropper.test ESMTP\r\n' : '+OK dropper.test ready\r\n');
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        for (let lf = text.indexOf('\n'); lf >= 0; lf = text.indexOf('\n')) {
          const line = text.slice(0, lf).replace(/\r$/, '');
          text = text.slice(lf + 1);
          lines.push(line);
          const command = line.toUpperCase();
          if (command.startsWith('EHLO')) socket.write('250-dropper.test\r\n250 STARTTLS\r\n');
          else if (command === 'CAPA') socket.write('+OK\r\nSTLS\r\nUSER\r\n.\r\n');
          else if (command === 'STARTTLS') {
            socket.write('220 2.0.0 Ready to start TLS\r\n');
            return granted();
          } else if (command === 'STLS') {
            socket.write('+OK Begin TLS negotiation\r\n');
            return granted();
          } else socket.write(upgrade === 'smtp' ? '502 5.5.1 Not here\r\n' : '-ERR not here\r\n');
        }
      });
    },
  });
  return { port: listener.port, lines, close: () => listener.close() };
}
