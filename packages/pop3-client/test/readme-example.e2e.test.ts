import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tsx = join(root, 'node_modules/.bin/tsx');
const example = 'packages/pop3-client/scripts/fake-server-example.ts';
let server: ChildProcess | undefined;
let mbox: string | undefined;

afterEach(() => {
  if (server?.exitCode === null) server.kill('SIGKILL');
  if (mbox !== undefined) rmSync(mbox, { recursive: true, force: true });
});

describe('the README example runnable against the standalone fake POP3 server', () => {
  it('is in the README exactly as the script the test runs', () => {
    const readme = readFileSync(join(root, 'packages/pop3-client/README.md'), 'utf8');
    expect(readme).toContain('```ts\n' + readFileSync(join(root, example), 'utf8') + '```');
  });

  it('logs in with APOP, lists and retrieves the maildrop and quits, as the README says', async () => {
    // The commands the example's comment gives, with port 0 for the test (the bin prints the port it got).
    mbox = mkdtempSync(join(tmpdir(), 'pop3-readme-mbox-'));
    writeFileSync(join(mbox, '1.eml'), 'Subject: hello\r\n\r\nHi!\r\n');
    server = spawn(tsx, ['test-servers/bin/pop3-server.ts', '--port', '0', '--apop', '--user', 'u:p', '--mbox', mbox], {
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
      server?.once('exit', () => reject(new Error(`pop3-server exited early:\n${log}`)));
    });
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(tsx, [example], { cwd: root, timeout: 20_000, env: { ...process.env, POP3_PORT: String(port) } }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
      );
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('client APOP u <redacted>');
    expect(run.stdout).toContain('1 messages, 23 octets');
    expect(run.stdout).toContain('message 1: Subject: hello');
    expect(run.stdout).toMatch(/server +\+OK .*signing off/);
    expect(run.code).toBe(0);
  }, 60_000);
});
