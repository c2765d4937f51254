import { describe, expect, it } from 'vitest';
import {
  SystemMailConfigError,
  SystemMailDeliveryError,
  SystemMailDisabledError,
  SystemMailError,
  SystemMailStoreError,
  MessageCompositionError,
  validateSettings,
} from '../src/index.js';
import { context } from './settings-fixtures.js';

describe('typed errors', () => {
  it('all derive from SystemMailError with an English message and ja/en messages', () => {
    const errors = [
      new SystemMailDisabledError(),
      new SystemMailConfigError({ ja: '設定エラー', en: 'config error' }),
      new SystemMailDeliveryError({ phase: 'rcpt', transient: true, reply: { code: 451, enhancedCode: '4.7.1', lines: ['try later'] }, messages: { ja: '一時エラー', en: 'temporary' } }),
      new SystemMailStoreError('io', { ja: '書き込めません', en: 'cannot write' }),
      new MessageCompositionError('address-invalid', { ja: '不正', en: 'invalid' }),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(SystemMailError);
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toBe(error.messages.en);
      expect(error.messages.ja).toMatch(/[^\x00-\x7f]/);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(new SystemMailDisabledError().messages.ja).toContain('使用しない');
  });

  it('a delivery error keeps phase, transience, reply and cause', () => {
    const cause = new Error('451');
    const e = new SystemMailDeliveryError({ phase: 'data', transient: false, messages: { ja: 'x', en: 'y' }, cause });
    expect([e.phase, e.transient, e.reply, e.cause]).toEqual(['data', false, undefined, cause]);
  });

  it('a config error carries validation issues', () => {
    const r = validateSettings({ use: true }, context);
    const issues = r.ok ? [] : r.issues;
    const e = new SystemMailConfigError({ ja: '設定に誤りがあります', en: 'invalid settings' }, issues);
    expect(e.issues?.map((i) => i.path)).toContain('address');
  });
});
