import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tlsFixtures } from '@sysmail/test-servers';
import { EXIT, runProbe } from '../scripts/pop3-probe.js';
import { PASSWORD, useFakePop3 } from './helpers.js';

const pop = useFakePop3();
const CA_FILE = fileURLToPath(new URL('../../../test-servers/fixtures/tls/ca.pem', import.meta.url));

async function probe(args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await runProbe(args, { print: (line) => lines.push(line), env: { POP_PASSWORD: PASSWORD } });
  return { code, output: lines.join('\n') };
}

const extra: Array<{ close(): void }> = [];
afterEach(() => {
  for (const resource of extra.splice(0)) resource.close();
});

describe('pop3-probe', () => {
  it('prints greeting, capabilities, TLS, the redacted transcript and the mailbox, and reports findings', async () => {
    const server = await pop.start({ stls: true, mailbox: ['Subject: probe\r\n\r\nhello probe\r\n'] });
    const { code, output } = await probe([
      '--host', '127.0.0.1', '--port', String(server.port), '--starttls', '--ca', CA_FILE,
      '--user', 'alice', '--password-env', 'POP_PASSWORD', '--list', '--retr', '1', '--check',
    ]);
    expect(output).toMatch(/Greeting: \+OK/);
    expect(output).toMatch(/TLS: TLSv1\.\d .*verified/);
    expect(output).toMatch(/Capabilities: .*PIPELINING/);
    expect(output).toContain('C: APOP alice <redacted>');
    expect(output).toMatch(/Mailbox: 1 message/);
    expect(output).toContain('| hello probe');
    expect(output).not.toContain(PASSWORD);
    expect(output).toMatch(/\[warning\] Passwords in clear offered before TLS: USER\/PASS/);
    expect(output).toMatch(/\[info\] PIPELINING honoured/);
    expect(output).toMatch(/\[info\] STLS injection: .*discarded/);
    expect(output).toMatch(/\[info\] APOP timestamp present and well formed/);
    expect(code).toBe(EXIT.findings);
  });

  it('exits 0 when the checks find nothing', async () => {
    const server = await pop.start({ implicitTls: true });
    const { code, output } = await probe(['--host', '127.0.0.1', '--port', String(server.port), '--tls', '--ca', CA_FILE, '--check']);
    expect(output).not.toContain('[warning]');
    expect(code).toBe(EXIT.ok);
  });

  it('flags a malformed APOP timestamp', async () => {
    const server = await pop.start({ apopTimestamp: '<nonsense>', stls: true });
    const { output } = await probe(['--host', '127.0.0.1', '--port', String(server.port), '--ca', CA_FILE, '--check']);
    expect(output).toMatch(/\[warning\] APOP timestamp malformed: <nonsense>/);
  });

  it('flags a server that executes a command pipelined after STLS', async () => {
    // A deliberately flawed server: it keeps what followed STLS in its buffer and runs it over TLS.
    const server = net.createServer((socket) => {
      socket.write('+OK flawed <1.2@flawed.test>\r\n');
      let buffered = '';
      const onData = (data: Buffer): void => {
        buffered += data.toString('latin1');
        for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
          const command = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          if (command === 'CAPA') socket.write('+OK\r\nSTLS\r\n.\r\n');
          else if (command === 'STLS') {
            socket.off('data', onData);
            socket.write('+OK go ahead\r\n');
            const secured = new tls.TLSSocket(socket, { isServer: true, cert: tlsFixtures.localhost.cert, key: tlsFixtures.localhost.key });
            secured.once('secure', () => secured.write('+OK executed the injected NOOP\r\n'));
            secured.on('error', () => secured.destroy());
            return;
          } else socket.write(command === 'QUIT' ? '+OK bye\r\n' : '+OK\r\n');
        }
      };
      socket.on('data', onData);
      socket.on('error', () => socket.destroy());
    });
    const sockets = new Set<net.Socket>();
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    extra.push({
      close: () => {
        for (const socket of sockets) socket.destroy();
        server.close();
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const { code, output } = await probe(['--host', '127.0.0.1', '--port', String(port), '--ca', CA_FILE, '--check']);
    expect(output).toMatch(/\[warning\] STLS injection flaw/);
    expect(code).toBe(EXIT.findings);
  });

  it('exits 2 on usage errors', async () => {
    expect((await probe([])).code).toBe(EXIT.usage);
    expect((await probe(['--host', 'x', '--tls', '--starttls'])).code).toBe(EXIT.usage);
    expect((await probe(['--host', 'x', '--user', 'alice'])).code).toBe(EXIT.usage);
    expect((await probe(['--host', 'x', '--user', 'alice', '--password-env', 'UNSET_VARIABLE'])).code).toBe(EXIT.usage);
    expect((await probe(['--host', 'x', '--bogus'])).output).toMatch(/Usage:/);
  });

  it('exits 3 on connection and TLS failures', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    expect((await probe(['--host', '127.0.0.1', '--port', String(port)])).code).toBe(EXIT.connection);
    const untrusted = await pop.start({ stls: true });
    const check = await probe(['--host', '127.0.0.1', '--port', String(untrusted.port), '--check']);
    expect(check.output).toMatch(/\[info\] STLS handshake failed: .*trusted CA/);
    const server = await pop.start({ implicitTls: true, certificate: tlsFixtures.expired });
    const { code, output } = await probe(['--host', '127.0.0.1', '--port', String(server.port), '--tls', '--ca', CA_FILE]);
    expect(code).toBe(EXIT.connection);
    expect(output).toMatch(/expired/);
  });

  it('exits 4 on an authentication failure', async () => {
    const server = await pop.start({ stls: true });
    const { code } = await probe([
      '--host', '127.0.0.1', '--port', String(server.port), '--starttls', '--ca', CA_FILE,
      '--user', 'alice', '--password-env', 'POP_PASSWORD', '--sasl', 'PLAIN',
    ]);
    expect(code).toBe(EXIT.auth);
  });

  it('runs as a command with npx tsx and sets the exit code', async () => {
    const server = await pop.start();
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(
        'npx',
        ['tsx', 'packages/pop3-client/scripts/pop3-probe.ts', '--host', '127.0.0.1', '--port', String(server.port)],
        { cwd: root, timeout: 15_000 },
        (error, stdout) => resolve({ code: error === null ? 0 : (error.code as number | null), stdout }),
      );
    });
    expect(result.stdout).toMatch(/Greeting: \+OK/);
    expect(result.code).toBe(EXIT.ok);
  });
});

describe('pop3-probe and the standalone fake server, run as issue 4 and the README write them', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  let child: ChildProcess | undefined;
  let mbox: string | undefined;
  afterEach(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    if (mbox !== undefined) rmSync(mbox, { recursive: true, force: true });
  });

  it('pop3-probe logs in with APOP and lists and retrieves from `pop3-server.ts --apop --user u:p --mbox DIR`', async () => {
    mbox = mkdtempSync(join(tmpdir(), 'pop3-probe-mbox-'));
    writeFileSync(join(mbox, '1.eml'), 'Subject: first\r\n\r\n.a dotted first line\r\n');
    // The README's --port 2110, made 0 so the test never collides: the bin prints the port it got.
    // Plain tsx from the root, as `npx tsx` runs it, with no --conditions flag.
    child = spawn(join(root, 'node_modules/.bin/tsx'), ['test-servers/bin/pop3-server.ts', '--port', '0', '--apop', '--user', 'u:p', '--mbox', mbox], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      child?.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const found = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
        if (found) resolve(Number(found[1]));
      });
      child?.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child?.once('exit', () => reject(new Error(`pop3-server exited early:\n${output}`)));
    });
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(
        join(root, 'node_modules/.bin/tsx'),
        ['packages/pop3-client/scripts/pop3-probe.ts', '--host', '127.0.0.1', '--port', String(port), '--user', 'u', '--password-env', 'POP_PASSWORD', '--apop', '--list', '--retr', '1'],
        { cwd: root, timeout: 20_000, env: { ...process.env, POP_PASSWORD: 'p' } },
        (error, stdout) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout }),
      );
    });
    expect(result.stdout).toMatch(/Greeting: \+OK .*<[^>]+@[^>]+>/);
    expect(result.stdout).toContain('C: APOP u <redacted>');
    expect(result.stdout).toMatch(/Mailbox: 1 message/);
    expect(result.stdout).toContain('| .a dotted first line');
    expect(result.code).toBe(EXIT.ok);
  }, 60_000);
});
