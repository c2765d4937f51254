/**
 * pop3-probe: connects to a POP3 server, shows what it offers and, with
 * --check, reports how safely it behaves.
 *
 *   npx tsx packages/pop3-client/scripts/pop3-probe.ts --host H --port P [--tls|--starttls]
 *     [--ca FILE] [--insecure] [--user U --password-env VAR] [--apop|--sasl MECH]
 *     [--allow-plaintext] [--list] [--retr N] [--check] [--timeout MS]
 *
 * Exit codes: 0 ok, 1 findings (--check), 2 usage, 3 connection/TLS/protocol failure, 4 auth failure.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  Pop3AuthError,
  Pop3Client,
  Pop3ConfigError,
  Pop3ConnectionError,
  Pop3Error,
  type Pop3Capabilities,
  type Pop3ConnectOptions,
  type Pop3LoginOptions,
  type Pop3Security,
} from '@sysmail/pop3-client';
import type { TranscriptEntry } from '@sysmail/wire';

/** The probe's exit codes. */
export const EXIT = { ok: 0, findings: 1, usage: 2, connection: 3, auth: 4 } as const;

const USAGE = `Usage: pop3-probe --host HOST [--port PORT] [--tls | --starttls] [--ca FILE] [--insecure]
                  [--user USER --password-env VAR] [--apop | --sasl MECH] [--allow-plaintext]
                  [--list] [--retr N] [--check] [--timeout MS]

  --tls / --starttls   implicit TLS (default port 995) / STLS upgrade (default: plaintext, port 110)
  --ca FILE            trust this CA (PEM) instead of the system list
  --insecure           do not verify the server certificate (diagnosis only)
  --user, --password-env   log in as USER with the password in environment variable VAR
  --apop / --sasl MECH     log in with APOP / that SASL mechanism (default: auto)
  --allow-plaintext    allow a password in clear on an unencrypted connection
  --list               print STAT, LIST and UIDL
  --retr N             print message N
  --check              report findings: APOP timestamp, STLS command injection,
                       USER/PASS before TLS, PIPELINING honoured
  --timeout MS         one deadline for every phase (default: the client's defaults)

Exit codes: 0 ok, 1 findings (--check), 2 usage, 3 connection/TLS/protocol failure, 4 auth failure.`;

/** Where the probe writes and what it reads from the environment; tests pass their own. */
export interface ProbeIo {
  /** Receives every output line. */
  print(line: string): void;
  /** The environment holding the password variable. */
  env: Record<string, string | undefined>;
}

/** One result of --check. */
export interface Finding {
  /** `warning` findings make the exit code 1; `info` ones are notes. */
  severity: 'warning' | 'info';
  /** What was found. */
  text: string;
}

class UsageError extends Error {}

interface ProbeOptions {
  connect: Pop3ConnectOptions;
  security: Pop3Security;
  login: Pop3LoginOptions | undefined;
  list: boolean;
  retr: number | undefined;
  check: boolean;
}

function parse(argv: string[], env: ProbeIo['env']): ProbeOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        tls: { type: 'boolean' },
        starttls: { type: 'boolean' },
        ca: { type: 'string' },
        insecure: { type: 'boolean' },
        user: { type: 'string' },
        'password-env': { type: 'string' },
        apop: { type: 'boolean' },
        sasl: { type: 'string' },
        'allow-plaintext': { type: 'boolean' },
        list: { type: 'boolean' },
        retr: { type: 'string' },
        check: { type: 'boolean' },
        timeout: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) throw new UsageError('');
  if (values.host === undefined) throw new UsageError('--host is required');
  if (values.tls === true && values.starttls === true) throw new UsageError('--tls and --starttls exclude each other');
  if (values.apop === true && values.sasl !== undefined) throw new UsageError('--apop and --sasl exclude each other');
  const security: Pop3Security = values.tls === true ? 'tls' : values.starttls === true ? 'starttls' : 'none';
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new UsageError(`--port must be 1-65535, got ${values.port}`);
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(timeout > 0)) throw new UsageError(`--timeout must be a positive number of milliseconds`);
  const retr = values.retr === undefined ? undefined : Number(values.retr);
  if (retr !== undefined && !(Number.isInteger(retr) && retr > 0)) throw new UsageError('--retr takes a message number');
  let login: Pop3LoginOptions | undefined;
  if (values.user !== undefined) {
    const variable = values['password-env'];
    if (variable === undefined) throw new UsageError('--user needs --password-env VAR (the password is never taken from the command line)');
    const password = env[variable];
    if (password === undefined) throw new UsageError(`environment variable ${variable} is not set`);
    login = {
      username: values.user,
      password,
      method: values.apop === true ? 'apop' : values.sasl !== undefined ? 'sasl' : 'auto',
      ...(values.sasl === undefined ? {} : { mechanism: values.sasl }),
    };
  } else if (values['password-env'] !== undefined || values.apop === true || values.sasl !== undefined) {
    throw new UsageError('--password-env, --apop and --sasl need --user');
  }
  if ((values.list === true || retr !== undefined) && login === undefined) throw new UsageError('--list and --retr need --user');
  return {
    security,
    connect: {
      host: values.host,
      ...(port === undefined ? {} : { port }),
      security,
      tls: {
        ...(values.ca === undefined ? {} : { ca: readFileSync(values.ca, 'utf8') }),
        ...(values.insecure === true ? { rejectUnauthorized: false } : {}),
      },
      ...(timeout === undefined ? {} : { timeouts: timeout }),
      allowPlaintextAuth: values['allow-plaintext'] === true,
    },
    login,
    list: values.list === true,
    retr,
    check: values.check === true,
  };
}

const ARROWS: Record<TranscriptEntry['direction'], string> = { client: 'C:', server: 'S:', info: '* ' };

function describeCapabilities(capabilities: Pop3Capabilities): string {
  return capabilities.raw.length === 0 ? '(CAPA not supported)' : capabilities.raw.join(', ');
}

/**
 * Runs the probe.
 *
 * @param argv - the command-line arguments, without `node` and the script
 * @param io - output and environment
 * @returns the exit code
 */
export async function runProbe(argv: string[], io: ProbeIo): Promise<number> {
  let options: ProbeOptions;
  try {
    options = parse(argv, io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message !== '') io.print(`pop3-probe: ${error.message}`);
    io.print(USAGE);
    return error.message === '' ? EXIT.ok : EXIT.usage;
  }
  const transcript = (entry: TranscriptEntry): void => io.print(`  ${ARROWS[entry.direction]} ${entry.text}`);
  let client: Pop3Client | undefined;
  try {
    io.print(`Connecting to ${options.connect.host} (${options.security})…`);
    client = await Pop3Client.connect({ ...options.connect, onTranscript: transcript });
    io.print(`Greeting: ${client.greeting}`);
    io.print(`APOP timestamp: ${client.apopTimestamp ?? 'none (APOP unavailable)'}`);
    const tls = client.tlsDetails;
    io.print(
      tls === undefined
        ? 'TLS: none (plaintext connection)'
        : `TLS: ${tls.protocol} ${tls.cipher}; certificate CN=${tls.peerSubject ?? '?'} issued by ${tls.peerIssuer ?? '?'}, ` +
            `valid until ${tls.peerValidTo ?? '?'}, ${tls.authorized ? 'verified' : 'NOT verified'}`,
    );
    io.print(`Capabilities: ${describeCapabilities(await client.capabilities())}`);
    if (options.login !== undefined) {
      await client.login(options.login);
      io.print(`Logged in as ${options.login.username}.`);
      if (options.list) {
        const stat = await client.stat();
        io.print(`Mailbox: ${stat.count} message(s), ${stat.size} octets`);
        const sizes = await client.list();
        const uids = await client.uidl().catch(() => []);
        for (const { number, size } of sizes) {
          io.print(`  ${number}\t${size}\t${uids.find((u) => u.number === number)?.uid ?? ''}`);
        }
      }
      if (options.retr !== undefined) {
        const message = Buffer.from(await client.retrieve(options.retr)).toString('utf8');
        io.print(`Message ${options.retr}:`);
        for (const line of message.split(/\r?\n/)) io.print(`| ${line}`);
      }
    }
    const reply = await client.quit();
    io.print(`QUIT: ${reply.line}`);
    if (!options.check) return EXIT.ok;
    const findings = await checkServer(options, io);
    io.print('Findings:');
    for (const finding of findings) io.print(`  [${finding.severity}] ${finding.text}`);
    return findings.some((f) => f.severity === 'warning') ? EXIT.findings : EXIT.ok;
  } catch (error) {
    await client?.close();
    io.print(`pop3-probe: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    if (error instanceof Pop3ConfigError) return EXIT.usage;
    if (error instanceof Pop3AuthError) return EXIT.auth;
    if (error instanceof Pop3Error) return EXIT.connection;
    throw error;
  }
}

/**
 * The --check findings. Each check uses its own connection, so that a server
 * left in a strange state by one probe does not skew the next.
 */
async function checkServer(options: ProbeOptions, io: ProbeIo): Promise<Finding[]> {
  const findings: Finding[] = [];
  const quiet = { ...options.connect, onTranscript: undefined };
  const plain = { ...quiet, security: 'none' as const };

  const first = await Pop3Client.connect(options.security === 'tls' ? quiet : plain);
  try {
    const greetingStamp = /<[^<>]*>/.exec(first.greeting)?.[0];
    if (first.apopTimestamp !== undefined) findings.push({ severity: 'info', text: `APOP timestamp present and well formed: ${first.apopTimestamp}` });
    else if (greetingStamp !== undefined) findings.push({ severity: 'warning', text: `APOP timestamp malformed: ${greetingStamp} (APOP cannot be used safely)` });
    else findings.push({ severity: 'info', text: 'No APOP timestamp in the greeting: APOP is not offered' });
    const capabilities = await first.capabilities();
    if (!first.secure) {
      const clear = [capabilities.user ? 'USER/PASS' : '', ...capabilities.sasl.filter((m) => m === 'PLAIN' || m === 'LOGIN')].filter((m) => m !== '');
      if (clear.length > 0) findings.push({ severity: 'warning', text: `Passwords in clear offered before TLS: ${clear.join(', ')}` });
      else findings.push({ severity: 'info', text: 'No clear-text password method offered before TLS' });
    }
    if (capabilities.pipelining) findings.push(await checkPipelining(first));
    else findings.push({ severity: 'info', text: 'PIPELINING not advertised' });
  } finally {
    await first.close();
  }

  if (options.security !== 'tls') {
    const second = await Pop3Client.connect(plain);
    try {
      if ((await second.capabilities()).stls) findings.push(await checkStlsInjection(second));
      else findings.push({ severity: 'info', text: 'STLS not advertised: STLS injection not tested' });
    } finally {
      await second.close();
    }
  }
  io.print(`Checks run: ${findings.length}`);
  return findings;
}

const PIPELINE_PROBE = 3;
const PROBE_WAIT_MS = 1000;

async function checkPipelining(client: Pop3Client): Promise<Finding> {
  const channel = client.unsafeDiagnosticChannel();
  await channel.writeRaw('NOOP\r\n'.repeat(PIPELINE_PROBE));
  let answered = 0;
  while (answered < PIPELINE_PROBE && (await channel.readStatus(PROBE_WAIT_MS)) !== undefined) answered += 1;
  return answered === PIPELINE_PROBE
    ? { severity: 'info', text: `PIPELINING honoured: ${PIPELINE_PROBE} commands in one write got ${PIPELINE_PROBE} answers` }
    : { severity: 'warning', text: `PIPELINING advertised but ${answered} of ${PIPELINE_PROBE} pipelined commands were answered` };
}

/**
 * Sends `STLS\r\nNOOP\r\n` in one write. A sound server discards the NOOP
 * that was pipelined in plaintext (RFC 2595 §4); a flawed one answers it
 * after the handshake, as if it had come over TLS (CVE-2011-0411 class), or
 * answers it in plaintext before the handshake.
 */
async function checkStlsInjection(client: Pop3Client): Promise<Finding> {
  const channel = client.unsafeDiagnosticChannel();
  await channel.writeRaw('STLS\r\nNOOP\r\n');
  const reply = await channel.readStatus(PROBE_WAIT_MS * 5);
  if (reply === undefined || reply.type !== 'ok') return { severity: 'info', text: `STLS refused (${reply?.line ?? 'no answer'}): injection not tested` };
  try {
    await channel.upgradeToTls();
  } catch (error) {
    if (error instanceof Pop3ConnectionError && error.kind === 'injection') {
      return { severity: 'warning', text: 'STLS injection: the server answered the pipelined command in plaintext before the TLS handshake' };
    }
    if (error instanceof Pop3Error) return { severity: 'info', text: `STLS handshake failed: ${error.message} Injection not tested.` };
    throw error;
  }
  const unsolicited = await channel.readStatus(PROBE_WAIT_MS);
  return unsolicited !== undefined
    ? { severity: 'warning', text: `STLS injection flaw: a command sent before TLS was executed after the handshake (answered "${unsolicited.line}")` }
    : { severity: 'info', text: 'STLS injection: the command pipelined before TLS was discarded (sound)' };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await runProbe(process.argv.slice(2), { print: (line) => process.stdout.write(`${line}\n`), env: process.env });
  process.exitCode = code;
}
