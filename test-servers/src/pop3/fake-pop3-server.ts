import { listen } from '../test-listener.js';
import { tlsFixtures } from '../tls-fixtures.js';
import type { FakePop3Login, FakePop3Server, FakePop3ServerOptions, FakePop3SessionInfo } from './fake-pop3-types.js';
import { MaildropDirectory } from './pop3-maildrop.js';
import { Pop3Script } from './pop3-script.js';
import { Pop3Session, type Pop3ServerContext } from './pop3-session.js';
import { registerTestSecret } from '../test-secrets.js';

/**
 * Starts a scripted fake POP3 server (RFC 1939, CAPA/RESP-CODES/PIPELINING of RFC 2449,
 * STLS of RFC 2595, AUTH of RFC 5034) on 127.0.0.1. Deletions are committed only by
 * QUIT (the UPDATE state); messages are dot-stuffed on the way out.
 *
 * @param options - accounts, maildrops, extensions, script rules and faults
 * @returns the running server; call `close()` when done
 */
export async function startFakePop3Server(options: FakePop3ServerOptions = {}): Promise<FakePop3Server> {
  const certificate = options.certificate ?? tlsFixtures.localhost;
  for (const password of Object.values(options.users ?? {})) registerTestSecret('POP3 password', password);
  const sessions: FakePop3SessionInfo[] = [];
  const logins: FakePop3Login[] = [];
  const maildrops = new MaildropDirectory(options.mailbox, options.mailboxes);
  const context: Pop3ServerContext = {
    options,
    hostname: options.hostname ?? 'fake-pop3.test',
    certificate,
    script: new Pop3Script(options.script ?? []),
    maildrops,
    logins,
  };
  const listener = await listen({
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.implicitTls === true ? { implicitTls: certificate } : {}),
    onSocket: (socket) => {
      const session = new Pop3Session(socket, context);
      sessions.push(session.info);
      void session.run();
    },
  });
  return {
    host: '127.0.0.1',
    port: listener.port,
    sessions,
    logins,
    mailboxOf: (user) => maildrops.of(user).messages.map((message) => message.content()),
    close: () => listener.close(),
  };
}
