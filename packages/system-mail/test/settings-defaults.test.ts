// One test per default and per choice list of the manual
// (shared/seed/system-mail-account.md): the exported constant has the
// manual's value, and both entry points — an object without the field and a
// form whose field is left blank — take it.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ENCRYPTION,
  DEFAULT_POP_PORT,
  DEFAULT_POP_TIMEOUT_SECONDS,
  DEFAULT_POP_WAIT_SECONDS,
  DEFAULT_SMTP_PORT,
  DEFAULT_SMTP_TIMEOUT_SECONDS,
  ENCRYPTIONS,
  MAX_POP_WAIT_SECONDS,
  SMTP_AUTH_MECHANISMS,
  TIMEOUT_CHOICES,
  parseSettingsForm,
  validateSettings,
  type SystemMailSettings,
} from '../src/index.js';
import { accepted, baseForm, context, issueAt } from './settings-fixtures.js';

const POP = { host: 'pop.example.com', account: 'popper', password: 'pop-secret' };
const popForm = { ...baseForm, popBeforeSmtp: '1', popHost: POP.host, popAccount: POP.account, popPassword: POP.password };

function smtpOf(settings: SystemMailSettings): Extract<SystemMailSettings['server'], { type: 'dedicated' }>['smtp'] {
  if (settings.server.type !== 'dedicated') throw new Error('expected a dedicated server');
  return settings.server.smtp;
}

function popAuthOf(settings: SystemMailSettings): Extract<Extract<SystemMailSettings['server'], { type: 'dedicated' }>['auth'], { method: 'pop-before-smtp' }> {
  if (settings.server.type !== 'dedicated' || settings.server.auth.method !== 'pop-before-smtp') throw new Error('expected POP before SMTP');
  return settings.server.auth;
}

const fromObject = (smtp: Record<string, unknown> = {}, auth?: unknown): SystemMailSettings =>
  accepted(
    validateSettings(
      { use: true, address: 'system@example.com', server: { type: 'dedicated', smtp: { host: 'smtp.example.com', ...smtp }, ...(auth !== undefined ? { auth } : {}) } },
      context,
    ),
  );
const fromPopObject = (): SystemMailSettings => fromObject({}, { method: 'pop-before-smtp', pop: POP });

describe('defaults of the manual', () => {
  it('送信メールサーバーポート番号: 25', () => {
    expect(DEFAULT_SMTP_PORT).toBe(25);
    expect(smtpOf(fromObject()).port).toBe(25);
    expect(smtpOf(accepted(parseSettingsForm({ ...baseForm, smtpPort: '' }, context))).port).toBe(25);
    expect(smtpOf(accepted(parseSettingsForm({ ...baseForm, smtpPort: '  ' }, context))).port).toBe(25);
  });

  it('暗号化通信: (使用しない)', () => {
    expect(DEFAULT_ENCRYPTION).toBe('none');
    expect(smtpOf(fromObject()).encryption).toBe('none');
    expect(smtpOf(accepted(parseSettingsForm({ ...baseForm, encryption: '' }, context))).encryption).toBe('none');
  });

  it('タイムアウトまでの時間 (SMTP): 10 seconds', () => {
    expect(DEFAULT_SMTP_TIMEOUT_SECONDS).toBe(10);
    expect(smtpOf(fromObject()).timeoutSeconds).toBe(10);
    expect(smtpOf(accepted(parseSettingsForm({ ...baseForm, timeout: '' }, context))).timeoutSeconds).toBe(10);
  });

  it('受信メールサーバーポート番号: 110', () => {
    expect(DEFAULT_POP_PORT).toBe(110);
    expect(popAuthOf(fromPopObject()).pop.port).toBe(110);
    expect(popAuthOf(accepted(parseSettingsForm({ ...popForm, popPort: '' }, context))).pop.port).toBe(110);
  });

  it('送信までの待ち時間: 0 seconds', () => {
    expect(DEFAULT_POP_WAIT_SECONDS).toBe(0);
    expect(popAuthOf(fromPopObject()).waitSeconds).toBe(0);
    expect(popAuthOf(accepted(parseSettingsForm({ ...popForm, popWait: '' }, context))).waitSeconds).toBe(0);
  });

  it('タイムアウトまでの時間 (POP): 10 seconds', () => {
    expect(DEFAULT_POP_TIMEOUT_SECONDS).toBe(10);
    expect(popAuthOf(fromPopObject()).pop.timeoutSeconds).toBe(10);
    expect(popAuthOf(accepted(parseSettingsForm({ ...popForm, popTimeout: '' }, context))).pop.timeoutSeconds).toBe(10);
  });

  it('TLSの使用 and APOP認証を行う: off', () => {
    expect(popAuthOf(fromPopObject()).pop).toMatchObject({ tls: false, apop: false });
    expect(popAuthOf(accepted(parseSettingsForm(popForm, context))).pop).toMatchObject({ tls: false, apop: false });
  });

  it('SMTP認証 / POP before SMTP: neither; OAuth: not used', () => {
    const settings = fromObject();
    expect(settings.server.type === 'dedicated' && [settings.server.auth, settings.server.oauth]).toEqual([{ method: 'none' }, { enabled: false }]);
  });
});

describe('choice lists of the manual', () => {
  it('タイムアウトまでの時間: 10 to 100 in steps of 10, then 120; every choice accepted, nothing else', () => {
    expect(TIMEOUT_CHOICES).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 120]);
    for (const t of TIMEOUT_CHOICES) expect(smtpOf(fromObject({ timeoutSeconds: t })).timeoutSeconds).toBe(t);
    for (const t of [0, 5, 110, 130, 15]) {
      expect(issueAt(validateSettings({ use: true, address: 'a@example.com', server: { type: 'dedicated', smtp: { host: 'h.example', timeoutSeconds: t } } }, context), 'server.smtp.timeoutSeconds')).toEqual(['timeout.invalid']);
    }
  });

  it('SMTP認証方式: PLAIN, LOGIN, CRAM-MD5, DIGEST-MD5 besides (設定なし)', () => {
    expect(SMTP_AUTH_MECHANISMS).toEqual(['PLAIN', 'LOGIN', 'CRAM-MD5', 'DIGEST-MD5']);
    for (const mechanism of SMTP_AUTH_MECHANISMS) {
      const settings = fromObject({ encryption: 'starttls' }, { method: 'smtp-auth', mechanism, account: 'sys', password: 'pw' });
      expect(settings.server.type === 'dedicated' && settings.server.auth).toMatchObject({ method: 'smtp-auth', mechanism });
    }
  });

  it('暗号化通信: none, tls, starttls', () => {
    expect(ENCRYPTIONS).toEqual(['none', 'tls', 'starttls']);
    for (const encryption of ENCRYPTIONS) expect(smtpOf(fromObject({ encryption })).encryption).toBe(encryption);
  });

  it('送信までの待ち時間: 0 to 10', () => {
    expect(MAX_POP_WAIT_SECONDS).toBe(10);
    for (const wait of [0, 1, 5, 10]) {
      expect(popAuthOf(fromObject({}, { method: 'pop-before-smtp', waitSeconds: wait, pop: POP })).waitSeconds).toBe(wait);
    }
  });
});
