import { describe, expect, it } from 'vitest';
import {
  describeSettings,
  oauthStateAfterSave,
  OAUTH_PRESETS,
  resolveOAuthClient,
  type SystemMailSettings,
} from '../src/index.js';
import { context, googleClient, microsoftClient, popSettings, smtpAuthSettings } from './settings-fixtures.js';

const oauth: SystemMailSettings = {
  use: true,
  address: 'notify@example.com',
  server: {
    type: 'dedicated',
    oauth: { enabled: true, client: 'google-main' },
    smtp: { host: 'smtp.gmail.com', port: 465, encryption: 'tls', timeoutSeconds: 10 },
    auth: { method: 'none' },
  },
};

const row = (settings: SystemMailSettings, path: string, state?: Parameters<typeof describeSettings>[2]) =>
  describeSettings(settings, context, state).items.find((i) => i.path === path);

describe('describeSettings', () => {
  it('titles the screen システムメールアカウントの詳細 and labels rows with the manual wording', () => {
    const d = describeSettings(popSettings, context);
    expect(d.title.ja).toBe('システムメールアカウントの詳細');
    expect(row(popSettings, 'server.auth.pop.host')).toEqual({
      path: 'server.auth.pop.host',
      label: { ja: '受信メールサーバー名', en: 'Incoming mail server name' },
      value: { ja: 'pop.example.com', en: 'pop.example.com' },
    });
    expect(row(popSettings, 'server.auth.waitSeconds')?.value).toEqual({ ja: '3秒', en: '3 seconds' });
    expect(row(popSettings, 'server.smtp.encryption')?.value.ja).toBe('(使用しない)');
    expect(row(smtpAuthSettings, 'server.smtp.encryption')?.value.ja).toBe('STARTTLSを使用する');
    expect(row(smtpAuthSettings, 'server.auth.mechanism')?.value.ja).toBe('CRAM-MD5');
    expect(row(popSettings, 'server.auth.mechanism')?.value.ja).toBe('(設定なし)');
  });

  it('shows passwords only as 設定済み / 未設定 and never contains a secret', () => {
    expect(row(smtpAuthSettings, 'server.auth.password')?.value).toEqual({ ja: '設定済み', en: 'Set' });
    const blank: SystemMailSettings = { use: false, address: '', server: { type: 'mail-feature', serverId: 'mx1' } };
    expect(row(blank, 'server.password')?.value).toEqual({ ja: '未設定', en: 'Not set' });
    const all = JSON.stringify([describeSettings(smtpAuthSettings, context), describeSettings(popSettings, context)]);
    expect(all).not.toContain('smtp-secret-1');
    expect(all).not.toContain('pop-secret-2');
  });

  it('OAuth status: not-applicable without OAuth', () => {
    const d = describeSettings(smtpAuthSettings, context);
    expect(d.oauth.status).toBe('not-applicable');
    expect(d.items.some((i) => i.path === 'oauth')).toBe(false);
  });

  it('OAuth status: 要認可 with a Sign in with Google button before authorization, 認可済み after', () => {
    const before = describeSettings(oauth, context);
    expect(before.oauth).toEqual({
      status: 'authorization-required',
      label: { ja: '要認可', en: 'Authorization required' },
      signIn: { provider: 'google', label: 'Sign in with Google' },
    });
    expect(before.items.find((i) => i.path === 'oauth')?.label.ja).toBe('OAuth認可');
    const after = describeSettings(oauth, context, { status: 'authorized', refreshToken: 'rt-secret' });
    expect(after.oauth.label.ja).toBe('認可済み');
    expect(JSON.stringify(after)).not.toContain('rt-secret');
  });

  it('OAuth status applies to a mail-feature server that signs in with OAuth', () => {
    const mf: SystemMailSettings = { use: true, address: 'n@example.com', server: { type: 'mail-feature', serverId: 'mx3' } };
    expect(describeSettings(mf, context).oauth.status).toBe('authorization-required');
    expect(row(mf, 'server.serverId')?.value.ja).toBe('Gmail server');
  });
});

describe('oauthStateAfterSave', () => {
  const authorized = { status: 'authorized' as const, refreshToken: 'rt' };

  it('keeps the state when neither address nor client changes', () => {
    expect(oauthStateAfterSave(oauth, oauth, context, authorized)).toBe(authorized);
  });

  it('requires authorization again when the address changes', () => {
    expect(oauthStateAfterSave(oauth, { ...oauth, address: 'other@example.com' }, context, authorized)).toEqual({ status: 'authorization-required' });
  });

  it('requires authorization again when the client changes', () => {
    const ms = { ...oauth, server: { ...oauth.server, oauth: { enabled: true, client: 'ms' } } } as SystemMailSettings;
    expect(oauthStateAfterSave(oauth, ms, context, authorized)).toEqual({ status: 'authorization-required' });
  });

  it('requires authorization when OAuth is newly used, and has no state without OAuth', () => {
    expect(oauthStateAfterSave(smtpAuthSettings, oauth, context, undefined)).toEqual({ status: 'authorization-required' });
    expect(oauthStateAfterSave(oauth, smtpAuthSettings, context, authorized)).toBeUndefined();
  });
});

describe('OAuth presets', () => {
  it('Gmail: smtp.gmail.com:465 TLS with the Google endpoints and scope', () => {
    expect(OAUTH_PRESETS.google).toMatchObject({
      smtpHost: 'smtp.gmail.com',
      smtpPort: 465,
      encryption: 'tls',
      authorizeEndpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
      tokenEndpoint: 'https://oauth2.googleapis.com/token',
      scope: 'https://mail.google.com/',
    });
  });

  it('Exchange Online: smtp.office365.com:587 STARTTLS, tenant substituted', () => {
    expect(OAUTH_PRESETS.microsoft).toMatchObject({ smtpHost: 'smtp.office365.com', smtpPort: 587, encryption: 'starttls', scope: 'https://outlook.office.com/SMTP.Send offline_access' });
    const resolved = resolveOAuthClient({ ...microsoftClient, smtpHost: undefined, smtpPort: undefined });
    expect(resolved.authorizeEndpoint).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize');
    expect(resolved.tokenEndpoint).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
    expect(resolveOAuthClient({ id: 'x', provider: 'microsoft', clientId: 'c' }).tokenEndpoint).toContain('/common/');
  });

  it('a client may override every endpoint and host', () => {
    const resolved = resolveOAuthClient({ ...googleClient, authorizeEndpoint: 'http://127.0.0.1:9/auth', tokenEndpoint: 'http://127.0.0.1:9/token', smtpHost: '127.0.0.1', smtpPort: 2465 });
    expect([resolved.authorizeEndpoint, resolved.tokenEndpoint, resolved.smtpHost, resolved.smtpPort]).toEqual(['http://127.0.0.1:9/auth', 'http://127.0.0.1:9/token', '127.0.0.1', 2465]);
  });
});
