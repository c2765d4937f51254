// `npm run demo` must keep showing an OAuth delivery against the fake servers:
// the "done when" names it, so CI runs the demo itself.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('npm run demo', () => {
  it('signs in through the loopback redirect and delivers with XOAUTH2, tokens only as <redacted>', async () => {
    // The same as `npm run demo`, without npm's start-up cost.
    const { stdout } = await promisify(execFile)(join(root, 'node_modules/.bin/tsx'), ['packages/system-mail/scripts/demo.ts'], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      maxBuffer: 8 * 1024 * 1024,
    });
    const oauthRun = stdout.slice(stdout.indexOf('(4) OAuth'));
    expect(oauthRun.length).toBeLessThan(stdout.length);
    expect(oauthRun).toMatch(/redirects the browser to http:\/\/127\.0\.0\.1:\d+\//);
    expect(oauthRun).toContain('OAuth認可: 要認可 → [Sign in with Google] → 認可済み (notify@example.com)');
    expect(oauthRun).toContain('C: AUTH XOAUTH2 <redacted>');
    expect(oauthRun).toMatch(/S: 235 /);
    expect(oauthRun).toContain('送信しました / sent');
    expect(oauthRun).toContain('TLS, AUTH XOAUTH2');
    expect(oauthRun).toContain('Subject: 電話メモ: 山田様よりお電話がありました');
    expect(stdout).not.toContain('demo-client-secret');
    expect(stdout).not.toMatch(/auth=Bearer|dXNlcj1ub3RpZnlAZXhhbXBsZS5jb20B/);
  }, 60_000);
});
