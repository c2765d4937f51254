import type { OutputFaults } from '../output-faults.js';
import type { CertificatePair } from '../tls-fixtures.js';

/** The POP3 commands a script rule can intercept; `CONNECT` stands for the greeting. */
export type FakePop3Command =
  | 'CONNECT'
  | 'CAPA'
  | 'STLS'
  | 'USER'
  | 'PASS'
  | 'APOP'
  | 'AUTH'
  | 'STAT'
  | 'LIST'
  | 'UIDL'
  | 'RETR'
  | 'TOP'
  | 'DELE'
  | 'RSET'
  | 'NOOP'
  | 'QUIT';

/** Which command a script rule intercepts, and how often. */
export interface FakePop3RuleTarget {
  /** The command keyword (any case on the wire), or `CONNECT` for the greeting. */
  command: FakePop3Command;
  /**
   * Narrows the rule to some command lines: a RegExp is tested against the whole line
   * (without CRLF, secrets included); a string must occur in it, case-insensitively.
   */
  match?: string | RegExp;
  /** How many times the rule fires over the server's life (all sessions); default: every time. */
  times?: number;
}

/**
 * What a script rule does instead of executing the command. The command itself is not
 * executed (no state changes), except for `no-terminator`, which runs it for its response.
 */
export type FakePop3RuleAction =
  | {
      /** The reply sent verbatim (CRLF appended when missing); may hold several lines. */
      reply: string;
    }
  | {
      /** Close the connection without answering. */
      action: 'close';
    }
  | {
      /** Send the first `afterBytes` bytes of `reply`, then close the connection. */
      action: 'close-mid-reply';
      /** The reply that is cut short. */
      reply: string;
      /** How many of its bytes go out before the close. */
      afterBytes: number;
    }
  | {
      /** Never answer this command (the session keeps reading). */
      action: 'silent';
    }
  | {
      /** Send these bytes instead of the reply; the session goes on. */
      action: 'garbage';
      /** The raw bytes (text is sent as UTF-8). */
      bytes: string | Uint8Array;
    }
  | {
      /**
       * Execute the command, send its response without the final `.\r\n` (a single-line
       * response without its CRLF), then ignore everything the client sends.
       */
      action: 'no-terminator';
    };

/** One script rule: a target and what to do. */
export type FakePop3ScriptRule = FakePop3RuleTarget & FakePop3RuleAction;

/**
 * A message produced on demand instead of held in memory, for benchmarks with very large
 * messages. It is dot-stuffed while it streams out; `chunks` is called once per RETR or TOP.
 */
export interface FakePop3GeneratedMessage {
  /** The size in octets LIST and STAT report; must equal the total length of `chunks()`. */
  size: number;
  /** The UIDL unique id (printable ASCII, 1-70 characters); default: derived from the size and position. */
  uid?: string;
  /** Produces the message's bytes, in order, with CRLF line ends. */
  chunks(): Iterable<Uint8Array>;
}

/** One message of a mailbox: text (sent as UTF-8), bytes, or a generated message. */
export type FakePop3Message = string | Uint8Array | FakePop3GeneratedMessage;

/** How a client logged in. */
export type FakePop3LoginMethod = 'user' | 'apop' | 'sasl';

/** A successful login, as reported to {@link FakePop3ServerOptions.onLogin} and kept in {@link FakePop3Server.logins}. */
export interface FakePop3Login {
  /** The authenticated user. */
  username: string;
  /** USER/PASS, APOP or AUTH. */
  method: FakePop3LoginMethod;
  /** The client's address. */
  remoteAddress: string;
  /** When, in milliseconds since the epoch. */
  at: number;
}

/** One line of the conversation, secrets redacted. */
export interface FakePop3TranscriptEntry {
  /** Who sent it. */
  direction: 'client' | 'server';
  /** The line without CRLF; multi-line bodies are summarised as `[body: N octets]`. */
  text: string;
}

/** A refused bearer token, with the JSON error object XOAUTH2 / OAUTHBEARER send as their error challenge. */
export interface FakePop3TokenRefusal {
  /** The error object, e.g. `{ status: '401', schemes: 'Bearer', scope: '...' }`. */
  error: object;
}

/** The options of {@link startFakePop3Server}; every one has a default. */
export interface FakePop3ServerOptions {
  /** Port to listen on, on 127.0.0.1; default 0 (any free port). */
  port?: number;
  /** The host name in the greeting and the APOP timestamp; default `fake-pop3.test`. */
  hostname?: string;
  /** The whole greeting line, replacing the default (APOP then uses the `<...>` found in it, if any). */
  greeting?: string;
  /** Put an APOP timestamp `<pid.clock@hostname>` in the greeting and accept APOP; default true. */
  apop?: boolean;
  /** An explicit APOP timestamp, possibly malformed on purpose (e.g. `<nonsense>`). */
  apopTimestamp?: string;
  /** Speak TLS from the first byte (POP3S). */
  implicitTls?: boolean;
  /** Advertise and honour STLS (RFC 2595). */
  stls?: boolean;
  /** The server certificate; default `tlsFixtures.localhost`. */
  certificate?: CertificatePair;
  /** Refuse USER/PASS/APOP/AUTH before TLS with `-ERR [AUTH] TLS required`. */
  requireTls?: boolean;
  /** Accounts: username → password (also the APOP shared secret). */
  users?: Record<string, string>;
  /** SASL mechanisms listed in CAPA and accepted by AUTH; -PLUS ones are listed only over TLS. */
  saslMechanisms?: string[];
  /**
   * Hash DIGEST-MD5 passwords as their UTF-8 bytes, as Dovecot does, instead of
   * converting Latin-1-representable passwords to ISO-8859-1 as RFC 2831 §2.1.2.1
   * asks (so `pässwörd` hashed the RFC way is refused, the UTF-8 way accepted).
   */
  digestMd5Utf8Passwords?: boolean;
  /** Checks XOAUTH2 / OAUTHBEARER tokens (see `@sysmail/sasl`'s `SaslServerVerifier.verifyToken`). */
  verifyToken?: (username: string, token: string) => boolean | FakePop3TokenRefusal;
  /** Offer USER/PASS (CAPA `USER`); default true. */
  userPass?: boolean;
  /** Answer CAPA; default true (false: `-ERR unknown command`). */
  capa?: boolean;
  /** Advertise PIPELINING; default true. Commands are always processed in order. */
  pipelining?: boolean;
  /** Advertise RESP-CODES and AUTH-RESP-CODE and put `[CODE]`s in replies; default true. */
  respCodes?: boolean;
  /** The messages, numbered 1..n, one maildrop shared by every user. */
  mailbox?: FakePop3Message[];
  /** Per-user maildrops (overrides `mailbox`; a user not listed has an empty maildrop). */
  mailboxes?: Record<string, FakePop3Message[]>;
  /** Script rules, tried in order; the first that matches a command line fires. */
  script?: FakePop3ScriptRule[];
  /** Timing and framing faults applied to everything the server sends. */
  faults?: OutputFaults;
  /** Raw bytes sent right after `+OK Begin TLS negotiation`, before the handshake (an injection attack). */
  injectAfterStls?: string;
  /** Users whose valid login is answered `-ERR [IN-USE] mailbox locked`. */
  lockedUsers?: string[];
  /** Called on every successful login (POP-before-SMTP relay tables hook here). */
  onLogin?: (info: FakePop3Login) => void;
  /** Called for every line sent or received, secrets redacted. */
  onTranscript?: (entry: FakePop3TranscriptEntry) => void;
}

/** What the server saw of one connection; updated live. */
export interface FakePop3SessionInfo {
  /** The client's address. */
  remoteAddress: string;
  /** When the connection was accepted, in milliseconds since the epoch. */
  startedAt: number;
  /** Whether the connection runs over TLS (implicit, or after STLS). */
  secure: boolean;
  /** The logged-in user, once logged in. */
  user?: string;
  /** How the user logged in. */
  method?: FakePop3LoginMethod;
  /** Every command line received, without CRLF, secrets redacted (`PASS <redacted>`). */
  commands: string[];
  /** The commands grouped by arrival: each inner array came in one read (pipelining). */
  batches: string[][];
  /** When QUIT was received. */
  quitAt?: number;
  /** The message numbers marked deleted (RSET clears them); committed if QUIT ended the transaction. */
  deleted: number[];
  /** How many plaintext bytes the client had pipelined after STLS, discarded before the handshake. */
  discardedAfterStls: number;
}

/** A running fake POP3 server. */
export interface FakePop3Server {
  /** Always `127.0.0.1`. */
  readonly host: '127.0.0.1';
  /** The port it listens on. */
  readonly port: number;
  /** Every session so far, in order of connection. */
  readonly sessions: FakePop3SessionInfo[];
  /** Every successful login so far. */
  readonly logins: FakePop3Login[];
  /**
   * The current messages of a user's maildrop (deletions committed by QUIT are gone);
   * generated messages are materialised.
   * @param user - the username
   */
  mailboxOf(user: string): Uint8Array[];
  /** Stops listening and destroys every connection; idempotent. */
  close(): Promise<void>;
}
