import type { OAuthClient, MailFeatureServer, SettingsForm, SystemMailSettings, ValidationContext, ValidationResult } from '../src/index.js';

export const googleClient: OAuthClient = {
  id: 'google-main',
  name: 'Google (main)',
  provider: 'google',
  clientId: 'client-id.apps.googleusercontent.com',
  clientSecret: 'google-client-secret-XYZ',
};

export const microsoftClient: OAuthClient = {
  id: 'ms',
  provider: 'microsoft',
  clientId: 'ms-client',
  tenant: 'contoso.onmicrosoft.com',
  smtpHost: 'smtp.test.invalid',
  smtpPort: 2587,
};

export const plainServer: MailFeatureServer = {
  id: 'mx1',
  name: 'Main mail server',
  smtp: { host: 'mail.example.com', port: 25, encryption: 'none', timeoutSeconds: 10 },
  smtpAuth: false,
};

export const authServer: MailFeatureServer = {
  id: 'mx2',
  name: 'Authenticated server',
  smtp: { host: 'smtp.example.com', port: 587, encryption: 'starttls', timeoutSeconds: 30 },
  smtpAuth: true,
};

export const oauthServer: MailFeatureServer = {
  id: 'mx3',
  name: 'Gmail server',
  smtp: { host: 'smtp.gmail.com', port: 465, encryption: 'tls', timeoutSeconds: 10 },
  smtpAuth: true,
  oauthClient: 'google-main',
};

export const context: ValidationContext = {
  oauthClients: [googleClient, microsoftClient],
  mailServers: [plainServer, authServer, oauthServer],
};

export const noOAuthContext: ValidationContext = { oauthClients: [], mailServers: [plainServer] };

/** A valid dedicated-server form, to which each test applies one change. */
export const baseForm: SettingsForm = {
  use: '1',
  address: 'system@example.com',
  serverType: 'dedicated',
  smtpHost: 'smtp.example.com',
  smtpPort: '587',
  encryption: 'starttls',
  timeout: '30',
};

export const smtpAuthSettings: SystemMailSettings = {
  use: true,
  address: 'system@example.com',
  server: {
    type: 'dedicated',
    oauth: { enabled: false },
    smtp: { host: 'smtp.example.com', port: 587, encryption: 'starttls', timeoutSeconds: 30 },
    auth: { method: 'smtp-auth', mechanism: 'CRAM-MD5', account: 'sys', password: 'smtp-secret-1' },
  },
};

export const popSettings: SystemMailSettings = {
  use: true,
  address: 'system@example.com',
  displayName: 'sysmail 通知',
  server: {
    type: 'dedicated',
    oauth: { enabled: false },
    smtp: { host: 'smtp.example.com', port: 25, encryption: 'none', timeoutSeconds: 10 },
    auth: {
      method: 'pop-before-smtp',
      waitSeconds: 3,
      pop: { host: 'pop.example.com', port: 995, tls: true, apop: false, account: 'popper', password: 'pop-secret-2', timeoutSeconds: 20 },
    },
  },
};

export function codesOf(result: ValidationResult): string[] {
  return result.ok ? [] : result.issues.map((i) => i.code);
}

export function issueAt(result: ValidationResult, path: string): string[] {
  return result.ok ? [] : result.issues.filter((i) => i.path === path).map((i) => i.code);
}

export function accepted(result: ValidationResult): SystemMailSettings {
  if (!result.ok) throw new Error(`expected acceptance, got ${JSON.stringify(result.issues.map((i) => [i.path, i.code]))}`);
  return result.settings;
}
