import type { CertificatePair } from '../tls-fixtures.js';
import type { OutputFaults } from '../output-faults.js';

/** The SMTP extensions the fake server advertises in its EHLO reply, and honours. */
export interface FakeSmtpExtensions {
  /** Advertise PIPELINING (RFC 2920); default true. Pipelined commands are processed in order either way. */
  pipelining?: boolean;
  /** Advertise 8BITMIME (RFC 6152) and accept `BODY=8BITMIME`; default true. */
  eightBitMime?: boolean;
  /** Advertise SMTPUTF8 (RFC 6531) and accept the `SMTPUTF8` parameter and UTF-8 addresses; default true. */
  smtputf8?: boolean;
  /** Advertise ENHANCEDSTATUSCODES (RFC 2034) and put RFC 3463 codes in replies; default true. */
  enhancedStatusCodes?: boolean;
  /** The SIZE (RFC 1870) to advertise, or false to advertise none; default 10 MiB. */
  size?: number | false;
  /** Advertise DSN (RFC 3461) and accept RET, ENVID, NOTIFY and ORCPT; default false. */
  dsn?: boolean;
  /** Advertise CHUNKING (RFC 3030) and accept BDAT; default false. */
  chunking?: boolean;
  /** Extra raw EHLO keyword lines, e.g. `'AUTH=LOGIN PLAIN'`, advertised after the others. */
  extra?: string[];
}

/** The SMTP AUTH (RFC 4954) settings of the fake server. */
export interface FakeSmtpAuthOptions {
  /** The mechanisms advertised in `AUTH ...`, served by the server halves of `@sysmail/sasl`. */
  mechanisms: string[];
  /** The accounts: username → password. */
  users?: Record<string, string>;
  /** Checks an XOAUTH2 / OAUTHBEARER token: true accepts, false refuses, `{ error }` refuses with that JSON error challenge. */
  verifyToken?: (
    username: string,
    token: string,
  ) =>
    | boolean
    | {
        /** The JSON object sent to the client as the error challenge. */
        error: object;
      };
  /** List AUTH in the EHLO reply (and accept it) before TLS; default true. */
  advertiseBeforeTls?: boolean;
  /** MAIL without a successful AUTH → `530 5.7.0 Authentication required` (see `refuseAt`). */
  required?: boolean;
  /**
   * Where `required` refuses an unauthenticated client: `mail` (default) answers MAIL
   * with 530; `rcpt` accepts MAIL and answers each RCPT
   * `554 5.7.1 <rcpt>: Recipient address rejected: Access denied`, as Postfix does
   * with `permit_sasl_authenticated, reject` in its recipient restrictions.
   */
  refuseAt?: 'mail' | 'rcpt';
  /**
   * Hash DIGEST-MD5 passwords as their UTF-8 bytes, as Dovecot does, instead of
   * converting Latin-1-representable passwords to ISO-8859-1 as RFC 2831 §2.1.2.1
   * asks (so `pässwörd` hashed the RFC way is refused, the UTF-8 way accepted).
   */
  digestMd5Utf8Passwords?: boolean;
  /**
   * Where a mechanism's additional data with success (SCRAM's `v=`, DIGEST-MD5's
   * `rspauth`) goes: `'challenge'` (the default, RFC 4954) sends it as one more 334
   * answered by an empty line; `'success-reply'` puts it, base64, in the 235 text
   * as some servers do.
   */
  dataWithSuccess?: 'challenge' | 'success-reply';
  /** The identity established outside SASL that EXTERNAL accepts (an addition to the shared API: without it EXTERNAL always fails). */
  externalIdentity?: string;
}

/** How the fake SMTP server behaves; every field has a default. */
export interface FakeSmtpServerOptions {
  /** The port to listen on, on 127.0.0.1; default 0 (ephemeral). */
  port?: number;
  /** The name in the greeting and the EHLO reply; default `fake-smtp.test`. */
  hostname?: string;
  /** The full greeting, possibly multi-line with CRLF between lines, e.g. `'554 no service'`. */
  greeting?: string;
  /** SMTPS: TLS from the first byte. */
  implicitTls?: boolean;
  /** Advertise and honour STARTTLS (RFC 3207). */
  starttls?: boolean;
  /** The server's certificate; default `tlsFixtures.localhost`. */
  certificate?: CertificatePair;
  /** MAIL or AUTH before TLS → `530 5.7.0 Must issue a STARTTLS command first`. */
  requireTls?: boolean;
  /** False answers EHLO with 502, so the client must fall back to HELO; default true. */
  ehlo?: boolean;
  /** What EHLO advertises. */
  extensions?: FakeSmtpExtensions;
  /** SMTP AUTH; absent means no AUTH. */
  auth?: FakeSmtpAuthOptions;
  /**
   * Decides whether a transaction may relay (e.g. POP-before-SMTP: allow only a client
   * address that logged in to POP3). Called at RCPT with the session; return a reply string
   * such as `'554 5.7.1 Relay access denied'` to refuse.
   */
  relayPolicy?: (session: FakeSmtpSessionInfo) => true | string;
  /**
   * Scripted replies: the first rule whose `command` matches (and `match`, tested against
   * the whole command line, if given) takes over that command.
   */
  script?: FakeSmtpScriptRule[];
  /** Framing/timing faults for every reply (split at boundaries, chunk size, drip, delay). */
  faults?: OutputFaults;
  /** Raw bytes sent immediately after the `220 Ready to start TLS` reply, before the handshake (the injection attack). */
  injectAfterStarttls?: string;
  /** Advertise STARTTLS but answer the STARTTLS command with this reply (e.g. `'454 4.7.0 TLS not available'`). */
  starttlsReply?: string;
  /** Accept a bare LF inside DATA as a line end (default false: `550 5.5.2`, like Postfix's smtpd_forbid_bare_newline). */
  acceptBareLf?: boolean;
  /** The largest accepted message in bytes (defaults to `extensions.size`); over it → `552 5.3.4`. */
  maxMessageSize?: number;
  /** Every line received and every reply sent, AUTH payloads redacted (for the standalone CLI). */
  onTranscript?: (entry: { direction: 'client' | 'server'; text: string }) => void;
  /** Called with each accepted message (an addition to the shared API, for the standalone CLI). */
  onMessage?: (message: FakeSmtpMessage) => void;
}

/** The commands a script rule can take over. `DATA-END` is the reply after the final dot; `CONNECT` is the greeting. */
export type FakeSmtpScriptCommand =
  | 'CONNECT'
  | 'EHLO'
  | 'HELO'
  | 'STARTTLS'
  | 'AUTH'
  | 'MAIL'
  | 'RCPT'
  | 'DATA'
  | 'DATA-END'
  | 'BDAT'
  | 'RSET'
  | 'NOOP'
  | 'QUIT';

/** What a script rule does instead of the server's own reply. */
export type FakeSmtpScriptAction =
  | {
      /** Any reply text, possibly multi-line with CRLF between lines; its code decides the effect (see the README). */
      reply: string;
    }
  | {
      /** Close the connection instead of replying. */
      action: 'close';
    }
  | {
      /** Send only the first `afterBytes` of `reply` (with its CRLF), then close. */
      action: 'close-mid-reply';
      /** The reply that is cut short. */
      reply: string;
      /** How many of its bytes go out before the close. */
      afterBytes: number;
    }
  | {
      /** Never answer, for the rest of the session: the client's deadline must fire. */
      action: 'silent';
    }
  | {
      /** Send these bytes instead of a reply, then carry on. */
      action: 'garbage';
      /** The bytes sent. */
      bytes: Uint8Array;
    };

/** One scripted reply or fault, e.g. `{ command: 'RCPT', match: '<bad@example.com>', reply: '550 5.1.1 No such user' }`. */
export type FakeSmtpScriptRule = {
  /** The command this rule takes over. */
  command: FakeSmtpScriptCommand;
  /** Tested against the whole command line (a string: contained in it, case-insensitively); for `DATA-END`, against the message bytes as latin1 text. */
  match?: RegExp | string;
  /** Apply this many times across the server's sessions, then fall through; default always. */
  times?: number;
} & FakeSmtpScriptAction;

/** A running fake SMTP server. */
export interface FakeSmtpServer {
  /** The host it listens on. */
  readonly host: '127.0.0.1';
  /** The port it listens on. */
  readonly port: number;
  /** Every accepted transaction, in order. */
  readonly messages: FakeSmtpMessage[];
  /** Every connection, in order. */
  readonly sessions: FakeSmtpSessionInfo[];
  /** Stops listening, destroys open connections and waits for their sessions to end; idempotent. */
  close(): Promise<void>;
}

/** What the server knows about one connection, updated as it goes. */
export interface FakeSmtpSessionInfo {
  /** The client's address. */
  remoteAddress: string;
  /** The client's port. */
  remotePort: number;
  /** `Date.now()` when the connection was accepted. */
  startedAt: number;
  /** True once the connection runs over TLS. */
  secure: boolean;
  /** The name given in the last accepted EHLO/HELO (cleared by STARTTLS). */
  ehloName?: string;
  /** The identity the last successful AUTH established (cleared by STARTTLS). */
  authenticatedAs?: string;
  /** The mechanism of that AUTH. */
  mechanism?: string;
  /** Every command line received, AUTH payloads and responses replaced by `<redacted>`. */
  commands: string[];
  /** The commands that arrived together in one read: lets tests prove pipelining (e.g. `['MAIL FROM:<a>', 'RCPT TO:<b>', 'DATA']`). */
  batches: string[][];
  /** True once a bare LF was seen inside DATA. */
  bareLfSeen: boolean;
}

/** One accepted transaction. */
export interface FakeSmtpMessage {
  /** The reverse path of `MAIL FROM:<from>` as sent (empty for the null path). */
  from: string;
  /** The ESMTP parameters of MAIL (SIZE, BODY, SMTPUTF8, RET, ENVID…); a parameter without value maps to `''`. */
  mailParameters: Record<string, string>;
  /** The accepted recipients, in order. */
  recipients: string[];
  /** The ESMTP parameters (NOTIFY, ORCPT) of each accepted recipient, index for index. */
  recipientParameters: Record<string, string>[];
  /** The recipients the server refused. */
  rejectedRecipients: string[];
  /** The exact bytes between DATA's 354 and the final `.\r\n` (dot-stuffing still in), or the concatenated BDAT chunks. */
  data: Uint8Array;
  /** The message after un-stuffing (DATA) or as sent (BDAT). */
  content: Uint8Array;
  /** How the message came. */
  via: 'DATA' | 'BDAT';
  /** The session it came in. */
  session: FakeSmtpSessionInfo;
  /** `Date.now()` when it was accepted. */
  receivedAt: number;
}
