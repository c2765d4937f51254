/* The fake SMTP server. */
export { startFakeSmtpServer } from './start-fake-smtp-server.js';
export type {
  FakeSmtpAuthOptions,
  FakeSmtpExtensions,
  FakeSmtpMessage,
  FakeSmtpScriptAction,
  FakeSmtpScriptCommand,
  FakeSmtpScriptRule,
  FakeSmtpServer,
  FakeSmtpServerOptions,
  FakeSmtpSessionInfo,
} from './fake-smtp-types.js';
