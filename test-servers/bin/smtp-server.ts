/**
 * Runs the fake SMTP server standalone, printing a redacted transcript and a summary of
 * each received message, for the demo and for poking at clients by hand. Flags are
 * documented in test-servers/README.md.
 *
 *   npx tsx test-servers/bin/smtp-server.ts --port 2525 --starttls --auth PLAIN,CRAM-MD5 --user u:p
 */
import { parseArgs } from 'node:util';
import { startFakeSmtpServer, type FakeSmtpServerOptions } from '../src/index.js';

const usage =
  'usage: smtp-server.ts [--port N] [--hostname NAME] [--starttls] [--tls] [--require-tls] [--auth MECH,MECH] [--user name:password]... ' +
  '[--require-auth] [--no-pipelining] [--chunking] [--dsn] [--size N] [--accept-bare-lf]';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '2525' },
    hostname: { type: 'string' },
    starttls: { type: 'boolean', default: false },
    tls: { type: 'boolean', default: false },
    'require-tls': { type: 'boolean', default: false },
    auth: { type: 'string' },
    user: { type: 'string', multiple: true, default: [] },
    'require-auth': { type: 'boolean', default: false },
    'no-pipelining': { type: 'boolean', default: false },
    chunking: { type: 'boolean', default: false },
    dsn: { type: 'boolean', default: false },
    size: { type: 'string' },
    'accept-bare-lf': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}

function fail(message: string): never {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid --port ${values.port}`);
const size = values.size === undefined ? undefined : Number(values.size);
if (size !== undefined && (!Number.isInteger(size) || size < 0)) fail(`invalid --size ${values.size}`);

const users: Record<string, string> = {};
for (const entry of values.user) {
  const colon = entry.indexOf(':');
  if (colon <= 0) fail(`invalid --user ${entry}: expected name:password`);
  users[entry.slice(0, colon)] = entry.slice(colon + 1);
}
const mechanisms = values.auth === undefined ? [] : values.auth.split(',').filter((m) => m.length > 0);

const options: FakeSmtpServerOptions = {
  port,
  implicitTls: values.tls,
  starttls: values.starttls,
  requireTls: values['require-tls'],
  acceptBareLf: values['accept-bare-lf'],
  extensions: {
    pipelining: !values['no-pipelining'],
    chunking: values.chunking,
    dsn: values.dsn,
    ...(size === undefined ? {} : { size }),
  },
  ...(mechanisms.length === 0 ? {} : { auth: { mechanisms, users, required: values['require-auth'] } }),
  onTranscript: (entry) => console.log(`${entry.direction === 'client' ? 'C:' : 'S:'} ${entry.text}`),
  onMessage: (message) =>
    console.log(
      `-- message from <${message.from}> to ${message.recipients.map((r) => `<${r}>`).join(', ')}: ` +
        `${message.content.length} bytes via ${message.via}` +
        (message.session.authenticatedAs === undefined ? '' : `, authenticated as ${message.session.authenticatedAs}`),
    ),
};
if (values.hostname !== undefined) options.hostname = values.hostname;

const server = await startFakeSmtpServer(options);
console.log(`fake SMTP server listening on ${server.host}:${server.port}${values.tls ? ' (implicit TLS)' : ''}`);

const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
