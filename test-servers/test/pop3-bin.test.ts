import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RawPop3 } from './pop3-raw-client.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const children: ChildProcess[] = [];
const directories: string[] = [];

afterEach(() => {
  RawPop3.closeAll();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('fake POP3 server: standalone bin', () => {
  it('serves a maildrop directory, prints a redacted transcript and stops on SIGTERM', async () => {
    const mbox = mkdtempSync(join(tmpdir(), 'pop3-mbox-'));
    directories.push(mbox);
    writeFileSync(join(mbox, '2.eml'), 'Subject: second\r\n\r\nb\r\n');
    writeFileSync(join(mbox, '1.eml'), 'Subject: first\r\n\r\na\r\n');
    // Port 0: the kernel picks a free port and the bin prints it.
    const child = spawn(
      join(root, 'node_modules/.bin/tsx'),
      ['test-servers/bin/pop3-server.ts', '--port', '0', '--apop', '--user', 'u:s3cret', '--mbox', mbox],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout?.on('data', () => {
        const found = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
        if (found) resolve(Number(found[1]));
      });
      child.once('exit', () => reject(new Error(`bin exited early:\n${output}`)));
    });

    const client = await RawPop3.connect(port);
    expect(await client.line()).toMatch(/^\+OK .*<\d+\.\d+\.\d+@fake-pop3\.test>$/);
    await client.command('USER u');
    expect(await client.command('PASS s3cret')).toMatch(/^\+OK/);
    expect(await client.command('TOP 1 0')).toMatch(/^\+OK/);
    expect((await client.body()).toString()).toBe('Subject: first\r\n\r\n');
    expect(await client.command('QUIT')).toMatch(/^\+OK/);
    await client.untilClosed();

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('C: PASS <redacted>');
    expect(output).toContain('-- login u via user');
    expect(output).not.toContain('s3cret');
  });
});
