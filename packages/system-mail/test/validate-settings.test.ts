import { describe, expect, it } from 'vitest';
import { validateSettings, type SystemMailSettings } from '../src/index.js';
import { accepted, codesOf, context, issueAt, noOAuthContext, plainServer, popSettings, smtpAuthSettings } from './settings-fixtures.js';

const dedicated = (server: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  use: true,
  address: 'system@example.com',
  server: { type: 'dedicated', smtp: { host: 'smtp.example.com' }, ...server },
  ...extra,
});

describe('validateSettings: defaults', () => {
  it('fills port 25, encryption none, timeout 10, no OAuth and no authentication', () => {
    const s = accepted(validateSettings(dedicated({}), context));
    expect(s.server).toEqual({
      type: 'dedicated',
      oauth: { enabled: false },
      smtp: { host: 'smtp.example.com', port: 25, encryption: 'none', timeoutSeconds: 10 },
      auth: { method: 'none' },
    });
  });

  it('fills POP port 110, wait 0, timeout 10, TLS and APOP off', () => {
    const s = accepted(
      validateSettings(dedicated({ auth: { method: 'pop-before-smtp', pop: { host: 'pop.example.com', account: 'a', password: 'p' } } }), context),
    );
    expect(s.server.type === 'dedicated' && s.server.auth).toEqual({
      method: 'pop-before-smtp',
      waitSeconds: 0,
      pop: { host: 'pop.example.com', port: 110, tls: false, apop: false, account: 'a', password: 'p', timeoutSeconds: 10 },
    });
  });

  it('accepts complete settings unchanged', () => {
    expect(accepted(validateSettings(smtpAuthSettings, context))).toEqual(smtpAuthSettings);
    expect(accepted(validateSettings(popSettings, context))).toEqual(popSettings);
  });
});

describe('validateSettings: rules', () => {
  it('address.required when in use', () => {
    expect(issueAt(validateSettings(dedicated({}, { address: '  ' }), context), 'address')).toEqual(['address.required']);
  });

  it.each(['plain', 'a@', '@example.com', 'a..b@example.com', 'a@-x.com', 'a b@example.com', 'a@[300.1.1.1]', 'ユーザー@example.com'])(
    'address.invalid for %s',
    (address) => {
      expect(issueAt(validateSettings(dedicated({}, { address }), context), 'address')).toEqual(['address.invalid']);
    },
  );

  it.each(['a.b+c@example.com', '"john doe"@example.com', '"a@b"@example.com', 'a@[192.0.2.1]', 'a@[IPv6:2001:db8::1]', 'root@localhost'])(
    'accepts the RFC 5321 mailbox %s',
    (address) => {
      expect(validateSettings(dedicated({}, { address }), context).ok).toBe(true);
    },
  );

  it('display-name.invalid for control characters', () => {
    expect(issueAt(validateSettings(dedicated({}, { displayName: 'a\nb' }), context), 'displayName')).toEqual(['display-name.invalid']);
  });

  it('unknown-key at every level, never stripped', () => {
    const r = validateSettings({ ...dedicated({ smtp: { host: 'h.example.com', tls: true }, extra: 1 }), color: 'red' }, context);
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.issues.filter((i) => i.code === 'unknown-key').map((i) => i.path).sort()).toEqual([
      'color',
      'server.extra',
      'server.smtp.tls',
    ]);
  });

  it('invalid-type for a non-object and for wrongly typed fields', () => {
    expect(codesOf(validateSettings('settings', context))).toEqual(['invalid-type']);
    expect(issueAt(validateSettings({ ...dedicated({}), use: 'yes' }, context), 'use')).toEqual(['invalid-type']);
    expect(issueAt(validateSettings(dedicated({ smtp: { host: 'h.example.com', port: '25' } }), context), 'server.smtp.port')).toEqual([
      'invalid-type',
    ]);
  });

  it('server-type.invalid', () => {
    expect(issueAt(validateSettings(dedicated({ type: 'other' }), context), 'server.type')).toEqual(['server-type.invalid']);
  });

  it('host.required', () => {
    expect(issueAt(validateSettings(dedicated({ smtp: {} }), context), 'server.smtp.host')).toEqual(['host.required']);
  });

  it.each(['smtp example.com', 'smtp_.example.com', '192.0.2.300', '-smtp.example.com', 'a'.repeat(64) + '.example.com'])(
    'host.invalid for %s',
    (host) => {
      expect(issueAt(validateSettings(dedicated({ smtp: { host } }), context), 'server.smtp.host')).toEqual(['host.invalid']);
    },
  );

  it.each([
    ['192.0.2.25', '192.0.2.25'],
    ['2001:db8::25', '2001:db8::25'],
    ['[2001:db8::25]', '2001:db8::25'],
    ['Mail.Example.COM', 'Mail.Example.COM'],
  ])('accepts the host %s', (host, stored) => {
    const s = accepted(validateSettings(dedicated({ smtp: { host } }), context));
    expect(s.server.type === 'dedicated' && s.server.smtp.host).toBe(stored);
  });

  it('port.out-of-range for 0 and 65536', () => {
    for (const port of [0, 65536]) {
      expect(issueAt(validateSettings(dedicated({ smtp: { host: 'h.example.com', port } }), context), 'server.smtp.port')).toEqual([
        'port.out-of-range',
      ]);
    }
  });

  it('port.not-digits for a fractional port', () => {
    expect(issueAt(validateSettings(dedicated({ smtp: { host: 'h.example.com', port: 25.5 } }), context), 'server.smtp.port')).toEqual([
      'port.not-digits',
    ]);
  });

  it('encryption.invalid', () => {
    expect(
      issueAt(validateSettings(dedicated({ smtp: { host: 'h.example.com', encryption: 'ssl' } }), context), 'server.smtp.encryption'),
    ).toEqual(['encryption.invalid']);
  });

  it('timeout.invalid outside the choice list', () => {
    for (const timeoutSeconds of [0, 15, 110, 130, '10']) {
      expect(
        issueAt(validateSettings(dedicated({ smtp: { host: 'h.example.com', timeoutSeconds } }), context), 'server.smtp.timeoutSeconds'),
      ).toEqual(['timeout.invalid']);
    }
  });

  it('auth.method-invalid', () => {
    expect(issueAt(validateSettings(dedicated({ auth: { method: 'kerberos' } }), context), 'server.auth.method')).toEqual([
      'auth.method-invalid',
    ]);
  });

  it('auth.mechanism-invalid', () => {
    const r = validateSettings(dedicated({ auth: { method: 'smtp-auth', mechanism: 'XOAUTH2', account: 'a', password: 'p' } }), context);
    expect(issueAt(r, 'server.auth.mechanism')).toEqual(['auth.mechanism-invalid']);
  });

  it('auth.foreign-fields: smtp-auth carrying pop is refused at server.auth, not stripped', () => {
    const r = validateSettings(
      dedicated({ auth: { method: 'smtp-auth', mechanism: 'PLAIN', account: 'a', password: 'p', pop: { host: 'pop.example.com' } } }),
      context,
    );
    expect(issueAt(r, 'server.auth')).toEqual(['auth.foreign-fields']);
  });

  it('auth.foreign-fields: pop-before-smtp carrying a mechanism is refused', () => {
    const r = validateSettings(
      dedicated({ auth: { method: 'pop-before-smtp', mechanism: 'PLAIN', pop: { host: 'pop.example.com', account: 'a', password: 'p' } } }),
      context,
    );
    expect(issueAt(r, 'server.auth')).toEqual(['auth.foreign-fields']);
  });

  it('auth.foreign-fields: none carrying an account is refused', () => {
    expect(issueAt(validateSettings(dedicated({ auth: { method: 'none', account: 'a' } }), context), 'server.auth')).toEqual([
      'auth.foreign-fields',
    ]);
  });

  it('wait.invalid outside 0–10 or fractional', () => {
    for (const waitSeconds of [-1, 11, 2.5, '3']) {
      const r = validateSettings(
        dedicated({ auth: { method: 'pop-before-smtp', waitSeconds, pop: { host: 'pop.example.com', account: 'a', password: 'p' } } }),
        context,
      );
      expect(issueAt(r, 'server.auth.waitSeconds')).toEqual(['wait.invalid']);
    }
  });

  it('accepts wait 10', () => {
    const r = validateSettings(
      dedicated({ auth: { method: 'pop-before-smtp', waitSeconds: 10, pop: { host: 'pop.example.com', account: 'a', password: 'p' } } }),
      context,
    );
    expect(r.ok).toBe(true);
  });

  it('account.required and password.required for SMTP AUTH', () => {
    const r = validateSettings(dedicated({ auth: { method: 'smtp-auth', mechanism: 'LOGIN' } }), context);
    expect(issueAt(r, 'server.auth.account')).toEqual(['account.required']);
    expect(issueAt(r, 'server.auth.password')).toEqual(['password.required']);
  });

  it('account.required and password.required for POP before SMTP', () => {
    const r = validateSettings(dedicated({ auth: { method: 'pop-before-smtp', pop: { host: 'pop.example.com' } } }), context);
    expect(issueAt(r, 'server.auth.pop.account')).toEqual(['account.required']);
    expect(issueAt(r, 'server.auth.pop.password')).toEqual(['password.required']);
  });

  it('POP host rules apply to the POP server', () => {
    const r = validateSettings(dedicated({ auth: { method: 'pop-before-smtp', pop: { host: 'bad host', account: 'a', password: 'p' } } }), context);
    expect(issueAt(r, 'server.auth.pop.host')).toEqual(['host.invalid']);
  });
});

describe('validateSettings: mail-feature server', () => {
  const mf = (server: Record<string, unknown>) => ({ use: true, address: 'system@example.com', server: { type: 'mail-feature', ...server } });

  it('server-id.required', () => {
    expect(issueAt(validateSettings(mf({ serverId: '' }), context), 'server.serverId')).toEqual(['server-id.required']);
  });

  it('server-id.unknown', () => {
    expect(issueAt(validateSettings(mf({ serverId: 'nope' }), context), 'server.serverId')).toEqual(['server-id.unknown']);
  });

  it('no account or password for a server without SMTP AUTH', () => {
    expect(accepted(validateSettings(mf({ serverId: 'mx1' }), context)).server).toEqual({ type: 'mail-feature', serverId: 'mx1' });
  });

  it('account and password required when the server uses SMTP AUTH', () => {
    const r = validateSettings(mf({ serverId: 'mx2' }), context);
    expect(issueAt(r, 'server.account')).toEqual(['account.required']);
    expect(issueAt(r, 'server.password')).toEqual(['password.required']);
    expect(validateSettings(mf({ serverId: 'mx2', account: 'a', password: 'p' }), context).ok).toBe(true);
  });

  it('dedicated-only keys are unknown for a mail-feature server', () => {
    expect(issueAt(validateSettings(mf({ serverId: 'mx1', smtp: {} }), context), 'server.smtp')).toEqual(['unknown-key']);
  });
});

describe('validateSettings: OAuth', () => {
  const withOAuth = (oauth: Record<string, unknown>, rest: Record<string, unknown> = {}) =>
    dedicated({ oauth, smtp: { host: 'attacker.example.net', port: 2525, encryption: 'none', timeoutSeconds: 60 }, ...rest });

  it('oauth.no-clients when none is registered', () => {
    expect(issueAt(validateSettings(withOAuth({ enabled: true, client: 'google-main' }), noOAuthContext), 'server.oauth')).toEqual([
      'oauth.no-clients',
    ]);
  });

  it('oauth.client-required', () => {
    expect(issueAt(validateSettings(withOAuth({ enabled: true, client: '' }), context), 'server.oauth.client')).toEqual([
      'oauth.client-required',
    ]);
  });

  it('oauth.client-unknown', () => {
    expect(issueAt(validateSettings(withOAuth({ enabled: true, client: 'nope' }), context), 'server.oauth.client')).toEqual([
      'oauth.client-unknown',
    ]);
  });

  it('sets server, port and encryption from the Gmail preset, keeping only the timeout', () => {
    const s = accepted(validateSettings(withOAuth({ enabled: true, client: 'google-main' }), context));
    expect(s.server.type === 'dedicated' && s.server.smtp).toEqual({ host: 'smtp.gmail.com', port: 465, encryption: 'tls', timeoutSeconds: 60 });
  });

  it('sets server, port and encryption from the Exchange Online preset, keeping only the timeout', () => {
    const exchange = { id: 'exo', provider: 'microsoft', clientId: 'exo-client', tenant: 'contoso.onmicrosoft.com' } as const;
    const s = accepted(validateSettings(withOAuth({ enabled: true, client: 'exo' }), { ...context, oauthClients: [...context.oauthClients, exchange] }));
    expect(s.server.type === 'dedicated' && s.server.smtp).toEqual({ host: 'smtp.office365.com', port: 587, encryption: 'starttls', timeoutSeconds: 60 });
  });

  it("uses the client's overrides over the Exchange Online preset", () => {
    const s = accepted(validateSettings(withOAuth({ enabled: true, client: 'ms' }), context));
    expect(s.server.type === 'dedicated' && s.server.smtp).toEqual({ host: 'smtp.test.invalid', port: 2587, encryption: 'starttls', timeoutSeconds: 60 });
  });

  it('oauth.auth-not-allowed with SMTP AUTH or POP before SMTP', () => {
    const smtpAuth = withOAuth({ enabled: true, client: 'google-main' }, { auth: { method: 'smtp-auth', mechanism: 'PLAIN', account: 'a', password: 'p' } });
    expect(issueAt(validateSettings(smtpAuth, context), 'server.auth')).toEqual(['oauth.auth-not-allowed']);
    const pop = withOAuth(
      { enabled: true, client: 'google-main' },
      { auth: { method: 'pop-before-smtp', pop: { host: 'pop.example.com', account: 'a', password: 'p' } } },
    );
    expect(issueAt(validateSettings(pop, context), 'server.auth')).toEqual(['oauth.auth-not-allowed']);
  });

  it('a client on disabled OAuth is an unknown key', () => {
    expect(issueAt(validateSettings(dedicated({ oauth: { enabled: false, client: 'google-main' } }), context), 'server.oauth.client')).toEqual([
      'unknown-key',
    ]);
  });
});

describe('validateSettings: warnings', () => {
  it('smtp-password.plaintext for PLAIN or LOGIN without encryption', () => {
    for (const mechanism of ['PLAIN', 'LOGIN']) {
      const r = validateSettings(dedicated({ auth: { method: 'smtp-auth', mechanism, account: 'a', password: 'p' } }), context);
      expect(r.ok && r.warnings.map((w) => [w.path, w.code])).toEqual([['server.auth.mechanism', 'smtp-password.plaintext']]);
    }
  });

  it('no warning for CRAM-MD5 in clear or PLAIN over STARTTLS', () => {
    const cram = validateSettings(dedicated({ auth: { method: 'smtp-auth', mechanism: 'CRAM-MD5', account: 'a', password: 'p' } }), context);
    expect(cram.ok && cram.warnings).toEqual([]);
    const tls = validateSettings(
      dedicated({ smtp: { host: 'h.example.com', encryption: 'starttls' }, auth: { method: 'smtp-auth', mechanism: 'PLAIN', account: 'a', password: 'p' } }),
      context,
    );
    expect(tls.ok && tls.warnings).toEqual([]);
  });

  it('smtp-password.plaintext for a mail-feature server with SMTP AUTH and no encryption', () => {
    const plainAuth = { ...context, mailServers: [...context.mailServers, { ...plainServer, id: 'mx9', smtpAuth: true }] };
    const r = validateSettings({ use: true, address: 'system@example.com', server: { type: 'mail-feature', serverId: 'mx9', account: 'a', password: 'p' } }, plainAuth);
    expect(r.ok && r.warnings.map((w) => [w.path, w.code])).toEqual([['server.password', 'smtp-password.plaintext']]);
    const starttls = validateSettings({ use: true, address: 'system@example.com', server: { type: 'mail-feature', serverId: 'mx2', account: 'a', password: 'p' } }, context);
    expect(starttls.ok && starttls.warnings).toEqual([]);
  });

  it('pop-password.plaintext for USER/PASS without TLS, not with APOP', () => {
    const pop = (apop: boolean) =>
      validateSettings(dedicated({ auth: { method: 'pop-before-smtp', pop: { host: 'pop.example.com', apop, account: 'a', password: 'p' } } }), context);
    const clear = pop(false);
    expect(clear.ok && clear.warnings.map((w) => w.code)).toEqual(['pop-password.plaintext']);
    const apop = pop(true);
    expect(apop.ok && apop.warnings).toEqual([]);
  });
});

describe('validateSettings: editing keeps stored passwords', () => {
  const withoutPassword = (s: SystemMailSettings): unknown => JSON.parse(JSON.stringify(s, (k, v) => (k === 'password' ? undefined : v)));

  it('keeps the SMTP AUTH password when it is left out or empty', () => {
    expect(accepted(validateSettings(withoutPassword(smtpAuthSettings), context, smtpAuthSettings))).toEqual(smtpAuthSettings);
    const empty = JSON.parse(JSON.stringify(smtpAuthSettings, (k, v) => (k === 'password' ? '' : v)));
    expect(accepted(validateSettings(empty, context, smtpAuthSettings))).toEqual(smtpAuthSettings);
  });

  it('keeps the POP password', () => {
    expect(accepted(validateSettings(withoutPassword(popSettings), context, popSettings))).toEqual(popSettings);
  });

  it('keeps the mail-feature password for the same server', () => {
    const previous: SystemMailSettings = { use: true, address: 'system@example.com', server: { type: 'mail-feature', serverId: 'mx2', account: 'a', password: 'mf-secret' } };
    const s = accepted(validateSettings({ use: true, address: 'system@example.com', server: { type: 'mail-feature', serverId: 'mx2', account: 'a' } }, context, previous));
    expect(s.server.type === 'mail-feature' && s.server.password).toBe('mf-secret');
  });

  it('password.reentry-required when the server changed: a stored password never goes to a new host', () => {
    const moved = withoutPassword({ ...smtpAuthSettings, server: { ...smtpAuthSettings.server, smtp: { host: 'evil.example.net', port: 587, encryption: 'starttls', timeoutSeconds: 30 } } } as SystemMailSettings);
    expect(issueAt(validateSettings(moved, context, smtpAuthSettings), 'server.auth.password')).toEqual(['password.reentry-required']);
  });

  it('a new password replaces the stored one', () => {
    const s = accepted(validateSettings({ ...smtpAuthSettings, server: { ...smtpAuthSettings.server, auth: { method: 'smtp-auth', mechanism: 'CRAM-MD5', account: 'sys', password: 'new' } } }, context, smtpAuthSettings));
    expect(s.server.type === 'dedicated' && s.server.auth.method === 'smtp-auth' && s.server.auth.password).toBe('new');
  });
});

describe('validateSettings: not in use', () => {
  it('stores blanks: no address, host, account or password required', () => {
    const s = accepted(
      validateSettings({ use: false, address: '', server: { type: 'dedicated', smtp: {}, auth: { method: 'smtp-auth', mechanism: 'PLAIN' } } }, context),
    );
    expect(s.use).toBe(false);
    expect(s.server.type === 'dedicated' && s.server.auth).toEqual({ method: 'smtp-auth', mechanism: 'PLAIN', account: '', password: '' });
  });

  it('accepts a bare { use: false } with default server settings', () => {
    expect(accepted(validateSettings({ use: false }, context)).server.type).toBe('dedicated');
  });

  it('turns dangling references into warnings', () => {
    const r = validateSettings({ use: false, address: '', server: { type: 'mail-feature', serverId: 'gone' } }, context);
    expect(r.ok && r.warnings.map((w) => [w.path, w.code])).toEqual([['server.serverId', 'server-id.unknown']]);
  });

  it('still refuses malformed values, so stored settings are always well-formed', () => {
    expect(codesOf(validateSettings({ use: false, address: 'not an address' }, context))).toEqual(['address.invalid']);
    expect(issueAt(validateSettings({ use: false, server: { type: 'dedicated', smtp: { port: 70000 } } }, context), 'server.smtp.port')).toEqual(['port.out-of-range']);
  });
});

describe('validateSettings: robustness and messages', () => {
  it('never throws, even on a hostile proxy', () => {
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('boom'); } });
    expect(validateSettings(hostile, context).ok).toBe(false);
  });

  it('gives every issue a Japanese and an English message using the manual labels', () => {
    const r = validateSettings(dedicated({ smtp: { host: 'h.example.com', port: 0 } }), context);
    const i = r.ok ? undefined : r.issues[0];
    expect(i?.message.ja).toContain('送信メールサーバーポート番号');
    expect(i?.message.en).toContain('Outgoing mail server port');
  });

  it('never quotes a password in a message', () => {
    const r = validateSettings(dedicated({ auth: { method: 'smtp-auth', mechanism: 'BAD', account: 'a', password: 'hunter2-secret' } }), context);
    expect(JSON.stringify(r)).not.toContain('hunter2-secret');
  });
});
