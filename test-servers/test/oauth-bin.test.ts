import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/oauth-server.ts', import.meta.url));

let children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  children = [];
});

/** Runs the bin under tsx (one node process, so a signal reaches the server itself). */
function run(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

describe('oauth-server bin', () => {
  it('starts on a free port, prints its URL first, serves, logs redacted requests and stops on SIGTERM', async () => {
    const child = run(['--port', '0', '--client', 'demo:sh-secret:http://127.0.0.1/cb', '--flavour', 'microsoft', '--lifetime', '60']);
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await lines.next();
    const match = /^Fake OAuth server listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(String(first.value));
    expect(match).not.toBeNull();
    const base = match?.[1] ?? '';
    const banner: string[] = [];
    // The banner ends with the consent line; request lines follow it.
    for (let line = await lines.next(); !line.done; line = await lines.next()) {
      banner.push(line.value);
      if (line.value.startsWith('  consent:')) break;
    }
    expect(banner.join('\n')).toContain(`${base}/common/oauth2/v2.0/token`);
    expect(banner.join('\n')).not.toContain('sh-secret');

    const response = await fetch(`${base}/common/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'rt-secret', client_id: 'demo', client_secret: 'sh-secret' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error_description: string }).error_description).toMatch(/^AADSTS9002313: /);
    const logLine = String((await lines.next()).value);
    expect(logLine).toMatch(/POST \/common\/oauth2\/v2\.0\/token -> 400 invalid_grant/);
    expect(logLine).not.toContain('rt-secret');
    expect(logLine).not.toContain('sh-secret');

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('refuses to start without a client, with a usage message', async () => {
    const child = run(['--port', '0']);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toMatch(/at least one --client is required/);
    expect(stderr).toMatch(/usage: oauth-server/);
  });
});
