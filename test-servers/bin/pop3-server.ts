/**
 * Runs the fake POP3 server standalone, printing a redacted transcript, for the demo and
 * for poking at clients by hand. Flags are documented in test-servers/README.md.
 *
 *   npx tsx test-servers/bin/pop3-server.ts --port 2110 --apop --user u:p --mbox DIR
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startFakePop3Server, type FakePop3ServerOptions } from '../src/index.js';

const usage =
  'usage: pop3-server.ts [--port N] [--hostname NAME] [--apop] [--user name:password]... [--mbox DIR] [--tls] [--stls] [--sasl MECH,MECH] [--require-tls]';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '2110' },
    hostname: { type: 'string' },
    apop: { type: 'boolean', default: false },
    user: { type: 'string', multiple: true, default: [] },
    mbox: { type: 'string' },
    tls: { type: 'boolean', default: false },
    stls: { type: 'boolean', default: false },
    sasl: { type: 'string' },
    'require-tls': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port ${values.port}\n${usage}`);
  process.exit(2);
}

const users: Record<string, string> = {};
for (const entry of values.user) {
  const colon = entry.indexOf(':');
  if (colon <= 0) {
    console.error(`invalid --user ${entry}: expected name:password\n${usage}`);
    process.exit(2);
  }
  users[entry.slice(0, colon)] = entry.slice(colon + 1);
}

/** One message per regular file of the directory, in name order. */
function readMaildrop(directory: string): Uint8Array[] {
  return readdirSync(directory)
    .sort()
    .map((name) => join(directory, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => readFileSync(path));
}

const options: FakePop3ServerOptions = {
  port,
  apop: values.apop,
  users,
  mailbox: values.mbox === undefined ? [] : readMaildrop(values.mbox),
  implicitTls: values.tls,
  stls: values.stls,
  requireTls: values['require-tls'],
  saslMechanisms: values.sasl === undefined ? [] : values.sasl.split(',').filter((m) => m.length > 0),
  onLogin: (login) => console.log(`-- login ${login.username} via ${login.method} from ${login.remoteAddress}`),
  onTranscript: (entry) => console.log(`${entry.direction === 'client' ? 'C:' : 'S:'} ${entry.text}`),
};
if (values.hostname !== undefined) options.hostname = values.hostname;

const server = await startFakePop3Server(options);
console.log(`fake POP3 server listening on ${server.host}:${server.port}${values.tls ? ' (implicit TLS)' : ''}`);

const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
