/**
 * smtp-probe: the swaks of sysmail. Connects to an SMTP server, prints its
 * greeting, capabilities, TLS details and the redacted transcript, optionally
 * authenticates and sends a test message, and with --check reports how the
 * server handles known weak spots.
 *
 *   npx tsx packages/smtp-client/scripts/smtp-probe.ts --host smtp.example.com --port 587 --starttls --check
 *
 * Exit codes: 0 ok, 1 findings (or the test message was refused), 2 usage,
 * 3 connection or TLS failure, 4 authentication failure.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { WireTlsOptions } from '@sysmail/wire';
import { SmtpAuthError, SmtpClient, SmtpError, SmtpProtocolError, type SmtpClientOptions, type SmtpReply } from '../src/index.js';

/** Exit codes, as documented in the README. */
export const EXIT = { ok: 0, findings: 1, usage: 2, connection: 3, auth: 4 } as const;

const USAGE = `Usage: smtp-probe --host HOST [--port PORT] [--tls | --starttls] [--ca FILE] [--insecure]
                  [--auth MECH|auto --user USER --password-env VAR] [--from ADDR --to ADDR --send]
                  [--check] [--timeout MS] [--name EHLO-NAME]

  --tls / --starttls   implicit TLS (default port 465) / STARTTLS (required, never downgraded)
  --ca FILE            trust this CA (PEM) instead of the system list
  --insecure           do not verify the server's certificate (diagnostics only)
  --auth MECH          authenticate with MECH (e.g. PLAIN, SCRAM-SHA-256) or 'auto'
  --password-env VAR   read the password from environment variable VAR (never from the command line)
  --send               send a short test message from --from to --to
  --check              report findings: pipelining, STARTTLS command injection, clear-text AUTH
                       before TLS, SIZE enforcement, bare LF in DATA (only with --to: it delivers a probe)

Exit codes: 0 ok, 1 findings, 2 usage, 3 connection/TLS failure, 4 authentication failure.`;

/** Where the probe writes and what it reads from its environment. */
export interface ProbeIo {
  /** Normal output. */
  out: (line: string) => void;
  /** Errors and usage. */
  err: (line: string) => void;
  /** Environment variables (for --password-env). */
  env: Record<string, string | undefined>;
}

interface Finding {
  check: string;
  status: 'ok' | 'finding' | 'not checked';
  detail: string;
}

/**
 * Runs the probe.
 *
 * @param argv - the command-line arguments, without `node` and the script
 * @param io - where output goes and where the environment comes from
 * @returns the exit code
 */
export async function main(argv: readonly string[], io: ProbeIo): Promise<number> {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (values.help === true) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const problem = usageProblem(values, io.env);
  if (problem !== undefined) {
    io.err(`${problem}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const tls: WireTlsOptions = {
    ...(values.ca === undefined ? {} : { ca: readFileSync(values.ca, 'utf8') }),
    ...(values.insecure === true ? { rejectUnauthorized: false } : {}),
  };
  const base: SmtpClientOptions = {
    host: values.host as string,
    ...(values.port === undefined ? {} : { port: Number(values.port) }),
    tls,
    timeouts: values.timeout === undefined ? 15_000 : Number(values.timeout),
    ...(values.name === undefined ? {} : { clientName: values.name }),
    allowPlaintextAuth: true,
  };
  const security = values.tls === true ? 'tls' : values.starttls === true ? 'starttls' : 'none';
  const print = (prefix: string) => (entry: { direction: string; text: string }) =>
    io.out(`${prefix}${entry.direction === 'client' ? 'C: ' : entry.direction === 'server' ? 'S: ' : '*  '}${entry.text}`);

  let client: SmtpClient;
  try {
    client = await SmtpClient.connect({ ...base, security, onTranscript: print('') });
  } catch (error) {
    io.err(`Connection failed: ${describe(error)}`);
    return EXIT.connection;
  }
  let exit: number = EXIT.ok;
  try {
    io.out('');
    io.out(`Greeting: ${client.greeting.code} ${client.greeting.text}`);
    io.out(`Capabilities: ${[...client.capabilities.keywords].map(([k, v]) => [k, ...v].join(' ')).join(', ') || '(none: HELO only)'}`);
    const tlsDetails = client.tlsDetails;
    if (tlsDetails !== undefined) {
      io.out(
        `TLS: ${tlsDetails.protocol} ${tlsDetails.cipher}; certificate CN=${tlsDetails.peerSubject ?? '?'} issued by ${tlsDetails.peerIssuer ?? '?'}, ` +
          `valid until ${tlsDetails.peerValidTo ?? '?'}, ${tlsDetails.authorized ? 'verified' : 'NOT verified'}`,
      );
    }
    if (values.auth !== undefined) {
      const password = io.env[values['password-env'] as string] as string;
      try {
        const mechanism = values.auth.toLowerCase() === 'auto' ? undefined : values.auth;
        const result = await client.authenticate({ username: values.user as string, password, ...(mechanism === undefined ? {} : { mechanism }) });
        io.out(`Authenticated as ${values.user as string} with ${result.mechanism}.`);
      } catch (error) {
        io.err(`Authentication failed: ${describe(error)}`);
        return error instanceof SmtpAuthError || (error instanceof SmtpError && error.phase === 'auth') ? EXIT.auth : EXIT.connection;
      }
    }
    if (values.send === true) {
      try {
        const result = await client.send({ from: values.from as string, to: [values.to as string] }, testMessage(values.from as string, values.to as string));
        io.out(`Sent: ${result.reply.code} ${result.reply.text}`);
      } catch (error) {
        io.err(`Sending failed: ${describe(error)}`);
        exit = EXIT.findings;
      }
    }
    if (values.check === true) {
      const findings = await runChecks(client, { ...base, security }, values, print('   '), io);
      io.out('');
      io.out('Checks:');
      for (const finding of findings) io.out(`  [${finding.status}] ${finding.check}: ${finding.detail}`);
      if (findings.some((finding) => finding.status === 'finding')) exit = EXIT.findings;
    }
    await client.quit();
    return exit;
  } catch (error) {
    io.err(`The session failed: ${describe(error)}`);
    return EXIT.connection;
  } finally {
    client.close();
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      tls: { type: 'boolean' },
      starttls: { type: 'boolean' },
      ca: { type: 'string' },
      insecure: { type: 'boolean' },
      auth: { type: 'string' },
      user: { type: 'string' },
      'password-env': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      send: { type: 'boolean' },
      check: { type: 'boolean' },
      timeout: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
}

function usageProblem(values: ReturnType<typeof parse>, env: Record<string, string | undefined>): string | undefined {
  if (values.host === undefined) return '--host is required.';
  if (values.port !== undefined && !/^\d{1,5}$/.test(values.port)) return '--port must be a number.';
  if (values.timeout !== undefined && !/^\d+$/.test(values.timeout)) return '--timeout must be milliseconds.';
  if (values.tls === true && values.starttls === true) return 'Choose --tls or --starttls, not both.';
  if (values.auth !== undefined) {
    if (values.user === undefined || values['password-env'] === undefined) return '--auth needs --user and --password-env.';
    if (env[values['password-env']] === undefined) return `The environment variable ${values['password-env']} is not set.`;
  }
  if (values.send === true && (values.from === undefined || values.to === undefined)) return '--send needs --from and --to.';
  return undefined;
}

function testMessage(from: string, to: string): string {
  const date = new Date().toUTCString().replace('GMT', '+0000');
  return [
    `From: <${from}>`,
    `To: <${to}>`,
    'Subject: smtp-probe test message',
    `Date: ${date}`,
    `Message-ID: <${Date.now()}.${process.pid}@smtp-probe.invalid>`,
    '',
    'This is a test message sent by sysmail smtp-probe.',
    '',
  ].join('\r\n');
}

async function runChecks(
  client: SmtpClient,
  options: SmtpClientOptions,
  values: ReturnType<typeof parse>,
  transcript: (entry: { direction: string; text: string }) => void,
  io: ProbeIo,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const caps = client.capabilities;

  if (caps.pipelining) {
    const replies = await client.rawCommand(['NOOP', 'NOOP', 'NOOP']);
    findings.push(
      replies.every((reply) => reply.code === 250)
        ? { check: 'pipelining', status: 'ok', detail: 'three pipelined NOOPs got three 250 replies in order' }
        : { check: 'pipelining', status: 'finding', detail: `PIPELINING is advertised but pipelined NOOPs got ${replies.map((r) => r.code).join(', ')}` },
    );
  } else {
    findings.push({ check: 'pipelining', status: 'not checked', detail: 'PIPELINING is not advertised' });
  }

  if (caps.maxSize !== undefined) {
    const [reply] = await client.rawCommand(`MAIL FROM:<> SIZE=${caps.maxSize + 1}`);
    await client.rawCommand('RSET');
    if (reply === undefined || reply.code === 530) findings.push({ check: 'SIZE', status: 'not checked', detail: 'MAIL needs authentication first (use --auth)' });
    else if (reply.code >= 500) findings.push({ check: 'SIZE', status: 'ok', detail: `a declared size over the limit is refused (${reply.code})` });
    else findings.push({ check: 'SIZE', status: 'finding', detail: `SIZE ${caps.maxSize} is advertised but MAIL with SIZE=${caps.maxSize + 1} got ${reply.code}` });
  } else {
    findings.push({ check: 'SIZE', status: 'not checked', detail: 'no SIZE limit is advertised' });
  }

  findings.push(...(await plaintextChecks(options, transcript, io)));
  findings.push(await bareLfCheck(client, values));
  return findings;
}

/** The checks that need a plaintext session: clear-text AUTH before TLS and STARTTLS command injection. */
async function plaintextChecks(options: SmtpClientOptions, transcript: (entry: { direction: string; text: string }) => void, io: ProbeIo): Promise<Finding[]> {
  if (options.security === 'tls') {
    return [
      { check: 'clear-text AUTH before TLS', status: 'not checked', detail: 'implicit TLS has no plaintext phase' },
      { check: 'STARTTLS injection', status: 'not checked', detail: 'implicit TLS has no STARTTLS' },
    ];
  }
  io.out('');
  io.out('Plaintext session for the STARTTLS checks:');
  const plain = await SmtpClient.connect({ ...options, security: 'none', onTranscript: transcript });
  try {
    const findings: Finding[] = [];
    const clear = plain.capabilities.authMechanisms.filter((name) => name === 'PLAIN' || name === 'LOGIN');
    findings.push(
      clear.length > 0
        ? { check: 'clear-text AUTH before TLS', status: 'finding', detail: `${clear.join(' and ')} offered on the unencrypted connection` }
        : { check: 'clear-text AUTH before TLS', status: 'ok', detail: 'no PLAIN or LOGIN before TLS' },
    );
    if (!plain.capabilities.starttls) {
      findings.push({ check: 'STARTTLS injection', status: 'not checked', detail: 'STARTTLS is not advertised' });
      return findings;
    }
    const [ready] = await plain.rawCommand(['STARTTLS', 'NOOP'], { replies: 1 });
    if (ready?.code !== 220) {
      findings.push({ check: 'STARTTLS injection', status: 'not checked', detail: `STARTTLS was answered ${ready?.code ?? 'with nothing'}` });
      return findings;
    }
    const inPlaintext = await plain.rawReadReply(1000);
    if (inPlaintext !== undefined) {
      findings.push({ check: 'STARTTLS injection', status: 'finding', detail: `a NOOP pipelined after STARTTLS was answered in plaintext (${inPlaintext.code})` });
      return findings;
    }
    await plain.rawStartTls({ ...options.tls, rejectUnauthorized: false });
    const afterTls = await plain.rawReadReply(1000);
    findings.push(
      afterTls !== undefined
        ? {
            check: 'STARTTLS injection',
            status: 'finding',
            detail: `a NOOP sent in plaintext before the handshake was answered over TLS (${afterTls.code}): plaintext can be injected into the TLS session (CVE-2011-0411 class)`,
          }
        : { check: 'STARTTLS injection', status: 'ok', detail: 'plaintext pipelined after STARTTLS was discarded' },
    );
    return findings;
  } catch (error) {
    if (error instanceof SmtpProtocolError) return [{ check: 'STARTTLS injection', status: 'finding', detail: describe(error) }];
    throw error;
  } finally {
    plain.close();
  }
}

/** Bare LF inside DATA is the SMTP smuggling vector; testing it delivers a message, so only with --to. */
async function bareLfCheck(client: SmtpClient, values: ReturnType<typeof parse>): Promise<Finding> {
  const check = 'bare LF in DATA';
  if (values.to === undefined) return { check, status: 'not checked', detail: 'testing it delivers a probe message: pass --to (and --from) to allow it' };
  const expect = async (line: string, code: number): Promise<SmtpReply | undefined> => {
    const [reply] = await client.rawCommand(line);
    return reply?.code === code ? undefined : reply;
  };
  const refused =
    (await expect(`MAIL FROM:<${values.from ?? ''}>`, 250)) ?? (await expect(`RCPT TO:<${values.to}>`, 250)) ?? (await expect('DATA', 354));
  if (refused !== undefined) {
    await client.rawCommand('RSET');
    return { check, status: 'not checked', detail: `the probe transaction was refused (${refused.code} ${refused.text})` };
  }
  const probe = 'Subject: smtp-probe bare LF check\r\n\r\nThis line ends with a bare LF.\nThis one with CRLF.\r\n.\r\n';
  await client.rawWrite(new TextEncoder().encode(probe));
  const [reply] = await client.rawCommand([], { replies: 1 });
  if (reply !== undefined && reply.code < 400) {
    return { check, status: 'finding', detail: `a message with a bare LF was accepted (${reply.code}); the server may be open to SMTP smuggling. A probe message was delivered to ${values.to}` };
  }
  return { check, status: 'ok', detail: `a message with a bare LF was refused (${reply?.code ?? '?'})` };
}

function describe(error: unknown): string {
  if (error instanceof SmtpError) return `${error.name} (phase ${error.phase}${error.transient ? ', transient' : ''}): ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await main(process.argv.slice(2), { out: (line) => console.log(line), err: (line) => console.error(line), env: process.env });
  process.exitCode = code;
}
