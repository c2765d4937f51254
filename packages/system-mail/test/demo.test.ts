// `npm run demo` is the README's main command: run it as a program, as an
// administrator would after `npm ci`, and check that it shows each delivery.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('npm run demo', () => {
  it('shows the deliveries: CRAM-MD5 over STARTTLS, POP before SMTP with APOP and a 2 s wait, PLAIN over implicit TLS, OAuth', async () => {
    // The script `npm run demo` runs, without npm's start-up cost.
    const { stdout, stderr } = await promisify(execFile)(join(root, 'node_modules/.bin/tsx'), ['packages/system-mail/scripts/demo.ts'], {
      cwd: root,
      timeout: 45_000,
    });
    expect(stderr).toBe('');
    const sections = stdout.split(/\n(?=\(\d\) )/);
    const [, cram, pop, plain, oauth] = sections;
    expect(sections).toHaveLength(5);

    expect(cram).toMatch(/^\(1\) SMTP認証 CRAM-MD5 \+ STARTTLSを使用する/);
    expect(cram).toMatch(/C: STARTTLS[\s\S]*TLS established[\s\S]*C: AUTH CRAM-MD5[\s\S]*S: 235/);
    expect(cram).toContain('as received (127.0.0.1:');
    expect(cram).toMatch(/TLS, AUTH CRAM-MD5\)/);

    expect(pop).toMatch(/^\(2\) POP before SMTP（APOP認証、送信までの待ち時間 2秒）/);
    expect(pop).toMatch(/\[pop3 {2}\] C: APOP portal-pop <redacted>[\s\S]*C: QUIT[\s\S]*waiting 2 s[\s\S]*\[smtp {2}\] S: 220/);
    const measured = /POP3 QUIT → SMTP接続 (\d+) ms/.exec(pop ?? '');
    expect(Number(measured?.[1])).toBeGreaterThanOrEqual(2000);

    expect(plain).toMatch(/^\(3\) SMTP認証 PLAIN \+ TLSを使用する/);
    expect(plain).toMatch(/TLS established[\s\S]*S: 220[\s\S]*C: AUTH PLAIN <redacted>/);
    expect(plain).toMatch(/TLS, AUTH PLAIN\)/);

    expect(oauth).toMatch(/OAuth認可: 要認可 → \[Sign in with Google\] → 認可済み/);
    expect(oauth).toMatch(/AUTH XOAUTH2 <redacted>|AUTH OAUTHBEARER <redacted>/);

    // Each delivery arrived, and the demo printed it decoded.
    for (const section of [cram, pop, plain, oauth]) {
      expect(section).toContain('送信しました / sent <');
      expect(section).toContain('Subject: 電話メモ: 山田様よりお電話がありました');
      expect(section).toContain('| 株式会社サンプルの山田様より 14:05 にお電話がありました。');
      expect(section).toContain('From: sysmail 通知 <notify@example.com>');
    }
    for (const secret of ['demo-smtp-password', 'demo-pop-password', 'demo-client-secret']) expect(stdout).not.toContain(secret);
  }, 60_000);
});
