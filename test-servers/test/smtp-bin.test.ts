import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { destroyRawClients, RawSmtp } from './smtp-raw-client.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  destroyRawClients();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('fake SMTP server: standalone bin', () => {
  it('starts, serves a session, prints a redacted transcript and message summary, stops on SIGTERM', async () => {
    // Port 0: the kernel picks a free port and the bin prints it on its first line.
    const child = spawn(
      join(root, 'node_modules/.bin/tsx'),
      ['test-servers/bin/smtp-server.ts', '--port', '0', '--auth', 'PLAIN,CRAM-MD5', '--user', 'u:s3cret', '--chunking', '--size', '1000'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout?.on('data', () => {
        const found = /^fake SMTP server listening on 127\.0\.0\.1:(\d+)\n/.exec(output);
        if (found) resolve(Number(found[1]));
      });
      child.once('exit', () => reject(new Error(`bin exited early:\n${output}`)));
    });

    const client = await RawSmtp.connect(port);
    expect(await client.reply()).toMatch(/^220 /);
    const ehlo = await client.command('EHLO c');
    expect(ehlo).toContain('AUTH PLAIN CRAM-MD5');
    expect(ehlo).toContain('CHUNKING');
    expect(ehlo).toContain('SIZE 1000');
    expect(await client.command(`AUTH PLAIN ${Buffer.from('\0u\0s3cret').toString('base64')}`)).toMatch(/^235/);
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RCPT TO:<b@example.com>');
    client.write('BDAT 5 LAST\r\nhello');
    expect(await client.reply()).toMatch(/^250/);
    expect(await client.command('QUIT')).toMatch(/^221/);
    await client.rest();

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('C: AUTH PLAIN <redacted>');
    expect(output).toContain('-- message from <a@example.com> to <b@example.com>: 5 bytes via BDAT, authenticated as u');
    expect(output).not.toContain(Buffer.from('\0u\0s3cret').toString('base64'));
  });
});
