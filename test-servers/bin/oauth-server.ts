/**
 * Runs the fake OAuth 2.0 authorization server standalone, for the demo and for trying a client by hand:
 *
 *   npx tsx test-servers/bin/oauth-server.ts --port 8080 --client id:secret:redirect \
 *     [--client …] [--flavour google|microsoft] [--lifetime 60] [--deny] [--rotate] [--account a@b]
 *
 * Prints the endpoint URLs, then one line per request with secrets redacted; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startFakeOAuthServer, type OAuthClientRegistration, type OAuthFlavour, type OAuthRequestLogEntry } from '../src/oauth/index.js';

const USAGE =
  'usage: oauth-server [--port N] --client id:secret:redirect_uri [--client …] [--flavour google|microsoft] ' +
  '[--lifetime seconds] [--deny] [--rotate] [--account address]\n' +
  '  an empty secret (id::redirect_uri) registers a public client';

function fail(message: string): never {
  process.stderr.write(`oauth-server: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) fail(`--${name} must be a non-negative integer, not ${JSON.stringify(value)}`);
  return Number(value);
}

/** `id:secret:redirect`: the redirect URI keeps its own colons, so only the first two separate fields. */
function parseClient(spec: string, flavour: OAuthFlavour, rotate: boolean): OAuthClientRegistration {
  const first = spec.indexOf(':');
  const second = first < 0 ? -1 : spec.indexOf(':', first + 1);
  if (first <= 0 || second < 0) fail(`--client ${JSON.stringify(spec)} is not id:secret:redirect_uri`);
  const secret = spec.slice(first + 1, second);
  return {
    clientId: spec.slice(0, first),
    ...(secret !== '' ? { clientSecret: secret } : {}),
    redirectUris: [spec.slice(second + 1)],
    flavour,
    rotateRefreshTokens: rotate,
  };
}

function describe(entry: OAuthRequestLogEntry): string {
  const params = Object.entries(entry.params)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  return `${new Date(entry.at).toISOString()} ${entry.method} ${entry.path} -> ${entry.status}${entry.error ? ` ${entry.error}` : ''}${params ? ` ${params}` : ''}`;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      port: { type: 'string' },
      client: { type: 'string', multiple: true },
      flavour: { type: 'string' },
      lifetime: { type: 'string' },
      deny: { type: 'boolean' },
      rotate: { type: 'boolean' },
      account: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const { values } = parsed;
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const flavour = values.flavour ?? 'google';
if (flavour !== 'google' && flavour !== 'microsoft') fail(`--flavour must be google or microsoft, not ${JSON.stringify(flavour)}`);
const clients = (values.client ?? []).map((spec) => parseClient(spec, flavour, values.rotate === true));
if (clients.length === 0) fail('at least one --client is required');

let server;
try {
  server = await startFakeOAuthServer({
    port: integer(values.port, 'port', 0),
    accessTokenLifetimeSeconds: integer(values.lifetime, 'lifetime', 3600),
    consent: values.deny ? 'deny' : 'grant',
    clients,
    ...(values.account !== undefined ? { account: values.account } : {}),
    onRequest: (entry) => process.stdout.write(`${describe(entry)}\n`),
  });
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const microsoft = server.urls.microsoft();
process.stdout.write(
  [
    `Fake OAuth server listening on ${server.url}`,
    `  google     authorize ${server.urls.google.authorize}`,
    `  google     token     ${server.urls.google.token}`,
    `  microsoft  authorize ${microsoft.authorize}   (any tenant in place of common)`,
    `  microsoft  token     ${microsoft.token}`,
    ...clients.map(
      (c) =>
        `  client ${c.clientId} (${c.flavour}, ${c.clientSecret !== undefined ? 'confidential, secret [redacted]' : 'public'}) -> ${c.redirectUris.join(' ')}`,
    ),
    `  consent: ${values.deny ? 'deny' : 'grant'}; access tokens live ${integer(values.lifetime, 'lifetime', 3600)} s`,
    '',
  ].join('\n'),
);

const running = server;
const stop = (): void => {
  void running.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
