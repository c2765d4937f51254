import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tsx = join(root, 'node_modules/.bin/tsx');
const example = 'packages/smtp-client/scripts/fake-server-example.ts';
let server: ChildProcess | undefined;

afterEach(() => {
  if (server?.exitCode === null) server.kill('SIGKILL');
});

describe('the README example runnable against the standalone fake SMTP server', () => {
  test('is in the README exactly as the script the test runs', () => {
    const readme = readFileSync(join(root, 'packages/smtp-client/README.md'), 'utf8');
    expect(readme).toContain('```ts\n' + readFileSync(join(root, example), 'utf8') + '```');
  });

  test('authenticates, sends to two recipients and quits, as the README says', async () => {
    // The command the example's comment gives, with port 0 for the test (the bin prints the port it got).
    server = spawn(tsx, ['test-servers/bin/smtp-server.ts', '--port', '0', '--starttls', '--auth', 'PLAIN,CRAM-MD5', '--user', 'u:p'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const port = await new Promise<number>((resolve, reject) => {
      server?.stdout?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        const found = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
        if (found) resolve(Number(found[1]));
      });
      server?.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      server?.once('exit', () => reject(new Error(`smtp-server exited early:\n${log}`)));
    });
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(tsx, [example], { cwd: root, timeout: 20_000, env: { ...process.env, SMTP_PORT: String(port) } }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
      );
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/Peer certificate: .*verified/);
    expect(run.stdout).toContain('authenticated with CRAM-MD5');
    expect(run.stdout).toMatch(/accepted: alice@example\.org, bob@example\.org; server said 250 /);
    expect(run.code).toBe(0);
    expect(log).toMatch(/message from <app@example\.com> to <alice@example\.org>, <bob@example\.org>: \d+ bytes via DATA, authenticated as u/);
  }, 60_000);
});
