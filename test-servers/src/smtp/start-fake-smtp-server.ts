import { ServerConnection } from '../server-connection.js';
import { listen } from '../test-listener.js';
import { tlsFixtures } from '../tls-fixtures.js';
import { FakeSmtpSession } from './fake-smtp-session.js';
import type { FakeSmtpMessage, FakeSmtpServer, FakeSmtpServerOptions, FakeSmtpSessionInfo } from './fake-smtp-types.js';
import { ScriptBook } from './script-book.js';
import { registerTestSecret } from '../test-secrets.js';

/**
 * Starts a scripted fake SMTP server on 127.0.0.1: RFC 5321 with EHLO/HELO, STARTTLS,
 * AUTH through the server halves of `@sysmail/sasl`, PIPELINING, SIZE, 8BITMIME, SMTPUTF8,
 * DSN and CHUNKING, scripted replies and output faults. It records every session and
 * every accepted message.
 *
 * @param options - what to advertise, accounts, script and faults; every field has a default
 * @returns the server, once it listens
 */
export async function startFakeSmtpServer(options: FakeSmtpServerOptions = {}): Promise<FakeSmtpServer> {
  const certificate = options.certificate ?? tlsFixtures.localhost;
  for (const password of Object.values(options.auth?.users ?? {})) registerTestSecret('SMTP password', password);
  const messages: FakeSmtpMessage[] = [];
  const sessions: FakeSmtpSessionInfo[] = [];
  const running = new Set<Promise<void>>();
  let queued = 0;
  const context = {
    options,
    certificate,
    script: new ScriptBook(options.script ?? []),
    accept(message: FakeSmtpMessage): string {
      messages.push(message);
      options.onMessage?.(message);
      queued += 1;
      return `Q${String(queued).padStart(6, '0')}`;
    },
  };
  const listener = await listen({
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.implicitTls === true ? { implicitTls: certificate } : {}),
    onSocket(socket) {
      // Each reply piece should leave as its own segment, so split faults reach the client as split.
      socket.setNoDelay(true);
      const info: FakeSmtpSessionInfo = {
        remoteAddress: socket.remoteAddress ?? '',
        remotePort: socket.remotePort ?? 0,
        startedAt: Date.now(),
        secure: options.implicitTls === true,
        commands: [],
        batches: [],
        bareLfSeen: false,
      };
      sessions.push(info);
      const session = new FakeSmtpSession(new ServerConnection(socket, options.faults ?? {}), info, context);
      const done: Promise<void> = session
        .run()
        .catch(() => {
          // A session that failed (e.g. a TLS handshake gone wrong) only ends its own connection.
          socket.destroy();
        })
        .finally(() => running.delete(done));
      running.add(done);
    },
  });
  let closing: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port: listener.port,
    messages,
    sessions,
    close() {
      closing ??= listener.close().then(async () => {
        await Promise.all(running);
      });
      return closing;
    },
  };
}
