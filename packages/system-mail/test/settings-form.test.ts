import { describe, expect, it } from 'vitest';
import { parseSettingsForm, SETTINGS_FORM_FIELDS, settingsToForm, type SettingsForm } from '../src/index.js';
import { accepted, baseForm, context, issueAt, noOAuthContext, popSettings, smtpAuthSettings } from './settings-fixtures.js';

const parse = (change: SettingsForm, ctx = context) => parseSettingsForm({ ...baseForm, ...change }, ctx);

describe('parseSettingsForm', () => {
  it('exports the field names the change screen posts', () => {
    expect(SETTINGS_FORM_FIELDS).toContain('smtpAuthMechanism');
    expect(SETTINGS_FORM_FIELDS).toContain('popBeforeSmtp');
    expect(SETTINGS_FORM_FIELDS).toHaveLength(25);
  });

  it('parses a complete dedicated form', () => {
    const s = accepted(parse({}));
    expect(s).toEqual({
      use: true,
      address: 'system@example.com',
      server: {
        type: 'dedicated',
        oauth: { enabled: false },
        smtp: { host: 'smtp.example.com', port: 587, encryption: 'starttls', timeoutSeconds: 30 },
        auth: { method: 'none' },
      },
    });
  });

  it('an empty port takes the default 25, an empty timeout 10', () => {
    const s = accepted(parse({ smtpPort: '', timeout: '' }));
    expect(s.server.type === 'dedicated' && [s.server.smtp.port, s.server.smtp.timeoutSeconds]).toEqual([25, 10]);
  });

  it('an empty POP port takes 110, an empty wait 0, an empty POP timeout 10', () => {
    const s = accepted(parse({ popBeforeSmtp: 'on', popHost: 'pop.example.com', popAccount: 'a', popPassword: 'p', popPort: '', popWait: '', popTimeout: '' }));
    const auth = s.server.type === 'dedicated' ? s.server.auth : undefined;
    expect(auth?.method === 'pop-before-smtp' && [auth.pop.port, auth.waitSeconds, auth.pop.timeoutSeconds]).toEqual([110, 0, 10]);
  });

  it('port.full-width-digits for ２５, telling the administrator to type half-width digits', () => {
    const r = parse({ smtpPort: '２５' });
    expect(issueAt(r, 'server.smtp.port')).toEqual(['port.full-width-digits']);
    const message = r.ok ? undefined : r.issues[0]?.message;
    expect(message?.ja).toContain('半角数字で入力してください');
    expect(message?.en).toMatch(/half-width digits/);
  });

  it('port.full-width-digits for the POP port too', () => {
    const r = parse({ popBeforeSmtp: '1', popHost: 'pop.example.com', popAccount: 'a', popPassword: 'p', popPort: '１１０' });
    expect(issueAt(r, 'server.auth.pop.port')).toEqual(['port.full-width-digits']);
  });

  it('port.not-digits for other text', () => {
    for (const smtpPort of ['25a', '-25', '2 5', '0x19']) expect(issueAt(parse({ smtpPort }), 'server.smtp.port')).toEqual(['port.not-digits']);
  });

  it('port.out-of-range for 0 and 65536', () => {
    expect(issueAt(parse({ smtpPort: '0' }), 'server.smtp.port')).toEqual(['port.out-of-range']);
    expect(issueAt(parse({ smtpPort: '65536' }), 'server.smtp.port')).toEqual(['port.out-of-range']);
  });

  it('timeout.invalid for a value off the list', () => {
    expect(issueAt(parse({ timeout: '25' }), 'server.smtp.timeoutSeconds')).toEqual(['timeout.invalid']);
    expect(issueAt(parse({ timeout: '３０' }), 'server.smtp.timeoutSeconds')).toEqual(['timeout.invalid']);
  });

  it('encryption.invalid', () => {
    expect(issueAt(parse({ encryption: 'ssl' }), 'server.smtp.encryption')).toEqual(['encryption.invalid']);
  });

  it('(設定なし) and none both mean no SMTP AUTH', () => {
    for (const smtpAuthMechanism of ['', 'none', '(設定なし)']) {
      const s = accepted(parse({ smtpAuthMechanism }));
      expect(s.server.type === 'dedicated' && s.server.auth).toEqual({ method: 'none' });
    }
  });

  it('auth.exclusive: an SMTP AUTH method and POP before SMTP together are refused, naming both fields', () => {
    const r = parse({
      smtpAuthMechanism: 'PLAIN',
      smtpAccount: 'a',
      smtpPassword: 'p',
      popBeforeSmtp: '1',
      popHost: 'pop.example.com',
      popAccount: 'b',
      popPassword: 'q',
    });
    expect(issueAt(r, 'server.auth')).toEqual(['auth.exclusive']);
    const message = r.ok ? undefined : r.issues.find((i) => i.code === 'auth.exclusive')?.message;
    expect(message?.ja).toContain('「SMTP認証方式」');
    expect(message?.ja).toContain('「受信後に送信を行う(POP before SMTP)」');
    expect(message?.en).toContain('SMTP authentication method');
    expect(message?.en).toContain('POP before SMTP');
  });

  it('auth.mechanism-invalid', () => {
    expect(issueAt(parse({ smtpAuthMechanism: 'NTLM', smtpAccount: 'a', smtpPassword: 'p' }), 'server.auth.mechanism')).toEqual(['auth.mechanism-invalid']);
  });

  it('wait.invalid for 11 and for text', () => {
    for (const popWait of ['11', 'abc']) {
      const r = parse({ popBeforeSmtp: '1', popWait, popHost: 'pop.example.com', popAccount: 'a', popPassword: 'p' });
      expect(issueAt(r, 'server.auth.waitSeconds')).toEqual(['wait.invalid']);
    }
  });

  it('invalid-choice for an unrecognised checkbox value', () => {
    expect(issueAt(parse({ use: 'maybe' }), 'use')).toEqual(['invalid-choice']);
  });

  it('server-type.invalid', () => {
    expect(issueAt(parse({ serverType: 'pop3' }), 'server.type')).toEqual(['server-type.invalid']);
  });

  it('OAuth: refused when no client is registered (the checkbox cannot be ticked)', () => {
    expect(issueAt(parse({ oauth: 'on', oauthClient: 'google-main' }, noOAuthContext), 'server.oauth')).toEqual(['oauth.no-clients']);
  });

  it('OAuth: posted server, port and encryption are ignored, even malformed; the timeout is kept', () => {
    const s = accepted(parse({ oauth: 'on', oauthClient: 'google-main', smtpHost: 'evil host', smtpPort: '２５', encryption: 'none', timeout: '120' }));
    expect(s.server.type === 'dedicated' && s.server.smtp).toEqual({ host: 'smtp.gmail.com', port: 465, encryption: 'tls', timeoutSeconds: 120 });
  });

  it('OAuth: SMTP AUTH refused', () => {
    const r = parse({ oauth: 'on', oauthClient: 'google-main', smtpAuthMechanism: 'PLAIN', smtpAccount: 'a', smtpPassword: 'p' });
    expect(issueAt(r, 'server.auth')).toEqual(['oauth.auth-not-allowed']);
  });

  it('mail-feature: account and password fields', () => {
    const s = accepted(parseSettingsForm({ use: '1', address: 'system@example.com', serverType: 'mail-feature', serverId: 'mx2', account: 'a', password: 'p' }, context));
    expect(s.server).toEqual({ type: 'mail-feature', serverId: 'mx2', account: 'a', password: 'p' });
  });

  it('ignores fields it does not know (CSRF token, submit button)', () => {
    expect(parseSettingsForm({ ...baseForm, csrf: 'x', submit: '変更する' }, context).ok).toBe(true);
  });

  it('round-trips stored settings through the pre-filled form, keeping passwords', () => {
    for (const settings of [smtpAuthSettings, popSettings]) {
      const form = settingsToForm(settings);
      expect(form.smtpPassword).toBe('');
      expect(accepted(parseSettingsForm(form, context, settings))).toEqual(settings);
    }
  });

  it('an empty password field keeps the stored password; a typed one replaces it', () => {
    const kept = accepted(parseSettingsForm({ ...settingsToForm(smtpAuthSettings) }, context, smtpAuthSettings));
    expect(kept.server.type === 'dedicated' && kept.server.auth.method === 'smtp-auth' && kept.server.auth.password).toBe('smtp-secret-1');
    const replaced = accepted(parseSettingsForm({ ...settingsToForm(smtpAuthSettings), smtpPassword: 'n3w' }, context, smtpAuthSettings));
    expect(replaced.server.type === 'dedicated' && replaced.server.auth.method === 'smtp-auth' && replaced.server.auth.password).toBe('n3w');
  });

  it('use=0 stores an incomplete form', () => {
    const s = accepted(parseSettingsForm({ use: '0' }, context));
    expect(s.use).toBe(false);
  });
});
