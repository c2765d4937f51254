/* The fake POP3 server. */
export { startFakePop3Server } from './fake-pop3-server.js';
export type {
  FakePop3Command,
  FakePop3GeneratedMessage,
  FakePop3Login,
  FakePop3LoginMethod,
  FakePop3Message,
  FakePop3RuleAction,
  FakePop3RuleTarget,
  FakePop3ScriptRule,
  FakePop3Server,
  FakePop3ServerOptions,
  FakePop3SessionInfo,
  FakePop3TokenRefusal,
  FakePop3TranscriptEntry,
} from './fake-pop3-types.js';
