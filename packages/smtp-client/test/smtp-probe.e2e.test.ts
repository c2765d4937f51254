import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { tlsFixtures } from '@sysmail/test-servers';
import { EXIT, main } from '../scripts/smtp-probe.js';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { fakeServer, onCleanup } from './helpers.js';

/**
 * A deliberately flawed STARTTLS server (the fake server is correct): it keeps what was
 * pipelined after STARTTLS and answers it, in plaintext at once or over TLS after the handshake.
 */
async function flawedStarttlsServer(answer: 'plaintext' | 'after-tls'): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end !== -1; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (/^EHLO/i.test(line)) socket.write('250-flawed.test\r\n250 STARTTLS\r\n');
        else if (/^STARTTLS/i.test(line)) {
          socket.write('220 go ahead\r\n');
          if (answer === 'plaintext') {
            socket.write('250 NOOP answered in plaintext\r\n');
            return;
          }
          socket.off('data', onData);
          const pending = buffered;
          const secured = new tls.TLSSocket(socket, { isServer: true, ...tlsFixtures.localhost });
          sockets.add(secured);
          secured.once('secure', () => {
            if (pending.startsWith('NOOP')) secured.write('250 NOOP answered over TLS\r\n');
          });
          secured.on('error', () => secured.destroy());
          return;
        } else socket.write('250 ok\r\n');
      }
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
    socket.write('220 flawed.test ESMTP\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

const caFile = join(mkdtempSync(join(tmpdir(), 'smtp-probe-')), 'ca.pem');
writeFileSync(caFile, tlsFixtures.ca);

async function probe(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (line) => out.push(line), err: (line) => err.push(line), env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('smtp-probe', () => {
  test('prints the greeting, capabilities, TLS details and the redacted transcript; exit 0', async () => {
    const server = await fakeServer({ starttls: true, auth: { mechanisms: ['PLAIN'], users: { u: 'hunter2-secret' } } });
    const { code, out } = await probe(
      ['--host', '127.0.0.1', '--port', String(server.port), '--starttls', '--ca', caFile, '--auth', 'PLAIN', '--user', 'u', '--password-env', 'PW', '--from', 'a@example.com', '--to', 'b@example.com', '--send'],
      { PW: 'hunter2-secret' },
    );
    expect(code).toBe(EXIT.ok);
    expect(out).toMatch(/Greeting: 220/);
    expect(out).toMatch(/Capabilities: .*PIPELINING/);
    expect(out).toMatch(/TLS: TLSv1\.\d .*verified/);
    expect(out).toContain('C: AUTH PLAIN <redacted>');
    expect(out).toMatch(/Sent: 250/);
    expect(out).not.toContain('hunter2-secret');
    expect(server.messages).toHaveLength(1);
  });

  test('--check on a well-behaved server: only the clear-text AUTH finding, bare LF not checked without --to', async () => {
    const server = await fakeServer({ starttls: true, auth: { mechanisms: ['PLAIN'], users: {} } });
    const { code, out } = await probe(['--host', '127.0.0.1', '--port', String(server.port), '--starttls', '--ca', caFile, '--check']);
    expect(out).toMatch(/\[ok\] pipelining/);
    expect(out).toMatch(/\[ok\] SIZE/);
    expect(out).toMatch(/\[ok\] STARTTLS injection: plaintext pipelined after STARTTLS was discarded/);
    expect(out).toMatch(/\[finding\] clear-text AUTH before TLS: PLAIN/);
    expect(out).toMatch(/\[not checked\] bare LF in DATA/);
    expect(code).toBe(EXIT.findings);
    expect(server.messages).toHaveLength(0);
  });

  test('--check finds a server that accepts bare LF, and one that refuses it is ok', async () => {
    const loose = await fakeServer({ acceptBareLf: true });
    const found = await probe(['--host', '127.0.0.1', '--port', String(loose.port), '--check', '--from', 'a@example.com', '--to', 'b@example.com']);
    expect(found.out).toMatch(/\[finding\] bare LF in DATA/);
    expect(found.out).toMatch(/\[not checked\] STARTTLS injection/);
    expect(found.code).toBe(EXIT.findings);
    const strict = await fakeServer({ extensions: { pipelining: false } });
    const ok = await probe(['--host', '127.0.0.1', '--port', String(strict.port), '--check', '--from', 'a@example.com', '--to', 'b@example.com']);
    expect(ok.out).toMatch(/\[ok\] bare LF in DATA/);
    expect(ok.out).toMatch(/\[not checked\] pipelining/);
    expect(ok.code).toBe(EXIT.ok);
  });

  test('--check finds a server that does not enforce its SIZE', async () => {
    const server = await fakeServer({ extensions: { size: 1000 }, maxMessageSize: 10_000_000, script: [{ command: 'MAIL', match: /SIZE=1001/, reply: '250 2.1.0 Ok' }] });
    const { out } = await probe(['--host', '127.0.0.1', '--port', String(server.port), '--check']);
    expect(out).toMatch(/\[finding\] SIZE/);
  });

  test.each([
    ['in plaintext', 'plaintext', /\[finding\] STARTTLS injection: a NOOP pipelined after STARTTLS was answered in plaintext/],
    ['after the handshake', 'after-tls', /\[finding\] STARTTLS injection: a NOOP sent in plaintext before the handshake was answered over TLS/],
  ] as const)('--check finds a server that answers a command pipelined after STARTTLS %s', async (_, answer, finding) => {
    const port = await flawedStarttlsServer(answer);
    const { code, out } = await probe(['--host', '127.0.0.1', '--port', String(port), '--check']);
    expect(out).toMatch(finding);
    expect(code).toBe(EXIT.findings);
  });

  test('exit 2 on usage errors', async () => {
    expect((await probe([])).code).toBe(EXIT.usage);
    expect((await probe(['--host', 'x', '--bogus'])).code).toBe(EXIT.usage);
    expect((await probe(['--host', 'x', '--auth', 'PLAIN', '--user', 'u', '--password-env', 'MISSING'])).code).toBe(EXIT.usage);
  });

  test('exit 3 on connection and certificate failures', async () => {
    const server = await fakeServer({ implicitTls: true, certificate: tlsFixtures.unknownCa });
    const tls = await probe(['--host', '127.0.0.1', '--port', String(server.port), '--tls', '--ca', caFile]);
    expect(tls.code).toBe(EXIT.connection);
    expect(tls.err).toMatch(/SmtpTlsError/);
    const insecure = await probe(['--host', '127.0.0.1', '--port', String(server.port), '--tls', '--insecure']);
    expect(insecure.code).toBe(EXIT.ok);
    expect(insecure.out).toMatch(/NOT verified/);
    const closed = await fakeServer();
    const port = closed.port;
    await closed.close();
    expect((await probe(['--host', '127.0.0.1', '--port', String(port)])).code).toBe(EXIT.connection);
  });

  test('exit 4 on authentication failure, without the password in any output', async () => {
    const server = await fakeServer({ implicitTls: true, auth: { mechanisms: ['PLAIN'], users: { u: 'right' } } });
    const { code, out, err } = await probe(['--host', '127.0.0.1', '--port', String(server.port), '--tls', '--ca', caFile, '--auth', 'auto', '--user', 'u', '--password-env', 'PW'], {
      PW: 'wrong-password',
    });
    expect(code).toBe(EXIT.auth);
    expect(`${out}\n${err}`).not.toContain('wrong-password');
  });
});

describe('smtp-probe and the standalone fake server, run as the issue and README write them', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));

  /**
   * Runs tsx from the repository root as `npx tsx …` does (the same bin, without npx's start-up),
   * with no --conditions flag: the root tsconfig's `paths` map @sysmail/* to sources.
   */
  function npxTsx(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(join(root, 'node_modules/.bin/tsx'), args, { cwd: root, timeout: 20_000, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
      );
    });
  }

  test('plain npx tsx resolves every @sysmail package to its sources, whether or not dist/ was built', async () => {
    const names = ['sasl', 'wire', 'smtp-client', 'pop3-client', 'test-servers'];
    const script = `for (const n of ${JSON.stringify(names)}) console.log(import.meta.resolve('@sysmail/' + n));`;
    const { code, stdout } = await npxTsx(['--input-type=module', '-e', script]);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual(names.map((n) => expect.stringMatching(new RegExp(`/(packages/)?${n}/src/index\\.ts$`))));
  }, 30_000);

  test('smtp-probe sends through `smtp-server.ts --starttls --auth PLAIN,CRAM-MD5 --user u:p`', async () => {
    let child: ChildProcess | undefined;
    onCleanup(() => {
      if (child?.exitCode === null) child.kill('SIGKILL');
    });
    // The README's --port 2525, made 0 so the test never collides: the bin prints the port it got.
    child = spawn(join(root, 'node_modules/.bin/tsx'), ['test-servers/bin/smtp-server.ts', '--port', '0', '--starttls', '--auth', 'PLAIN,CRAM-MD5', '--user', 'u:p'], {
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
      child?.once('exit', () => reject(new Error(`smtp-server exited early:\n${output}`)));
    });
    for (const mechanism of ['PLAIN', 'CRAM-MD5']) {
      const sent = await npxTsx(
        ['packages/smtp-client/scripts/smtp-probe.ts', '--host', '127.0.0.1', '--port', String(port), '--starttls', '--ca', caFile,
          '--auth', mechanism, '--user', 'u', '--password-env', 'SMTP_PASSWORD', '--from', 'a@example.com', '--to', 'b@example.com', '--send'],
        { SMTP_PASSWORD: 'p' },
      );
      expect(sent.stdout).toMatch(/Greeting: 220/);
      expect(sent.stdout).toMatch(/TLS: TLSv1\.\d .*verified/);
      expect(sent.stdout).toContain(`Authenticated as u with ${mechanism}.`);
      expect(sent.stdout).toMatch(/Sent: 250/);
      expect(sent.code).toBe(EXIT.ok);
    }
    const checked = await npxTsx(['packages/smtp-client/scripts/smtp-probe.ts', '--host', '127.0.0.1', '--port', String(port), '--starttls', '--ca', caFile, '--check']);
    expect(checked.stdout).toMatch(/\[finding\] clear-text AUTH before TLS/);
    expect(checked.code).toBe(EXIT.findings);
    expect(output).toMatch(/message from <a@example\.com> to <b@example\.com>/);
  }, 60_000);
});
