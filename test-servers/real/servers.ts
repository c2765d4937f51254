/**
 * Typed access to the real Postfix and Dovecot servers that
 * `test-servers/real/start.sh` runs for the interop suite: it reads the
 * `servers.json` named by the `SYSMAIL_REAL_SERVERS` environment variable.
 *
 * @packageDocumentation
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** The environment variable holding the path of the run's `servers.json`. */
export const REAL_SERVERS_ENV = 'SYSMAIL_REAL_SERVERS';

/**
 * How a listener protects its link: `none` never offers TLS, `starttls`
 * requires STARTTLS/STLS before anything else, `starttls-optional` offers it,
 * `tls` is implicit TLS from the first byte.
 */
export type RealListenerSecurity = 'none' | 'starttls' | 'starttls-optional' | 'tls';

/** One listening port of a real server. */
export interface RealListener {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** A free high port chosen at start. */
  readonly port: number;
  /** How the listener protects its link. */
  readonly security: RealListenerSecurity;
}

/** An SMTP listener of the private Postfix. */
export interface RealSmtpListener extends RealListener {
  /** SASL mechanisms AUTH offers (once TLS is up where `authOnlyAfterTls`); empty when AUTH is not offered. */
  readonly auth: readonly string[];
  /** Whether RCPT is refused (554 5.7.1) without a successful AUTH. */
  readonly authRequired: boolean;
  /** Whether AUTH is advertised only after STARTTLS. */
  readonly authOnlyAfterTls?: boolean;
}

/** The SMTP listener that accepts mail only after a recent POP3 login from the same client address. */
export interface RealPopBeforeSmtpListener extends RealSmtpListener {
  /** Seconds a POP3 login authorises SMTP from its address (the value at start). */
  readonly windowSeconds: number;
  /** Dovecot's record of POP3 logins (`<ip> <unix seconds>` lines); truncate it to forget every login. */
  readonly loginsFile: string;
  /** Holds the window in seconds; the policy daemon re-reads it on every RCPT. */
  readonly windowFile: string;
}

/** A POP3 listener of the private Dovecot. */
export interface RealPop3Listener extends RealListener {
  /** Whether the greeting carries an APOP timestamp. */
  readonly apop: boolean;
  /** SASL mechanisms listed by CAPA and accepted by AUTH. */
  readonly sasl: readonly string[];
}

/** A mailbox of the test domain; throwaway test data. */
export interface RealUser {
  /** The login name for SMTP AUTH and POP3 (the full address). */
  readonly username: string;
  /** The password, UTF-8 on the wire; some contain non-ASCII characters on purpose. */
  readonly password: string;
  /** The mail address whose mail lands in this user's POP3 mailbox. */
  readonly address: string;
}

/** Everything a test needs to reach the real servers of one run. */
export interface RealServers {
  /** Format version of `servers.json`. */
  readonly version: 1;
  /** The run's temp dir (config, logs, mailboxes); `stop.sh` removes it. */
  readonly runDir: string;
  /** The only domain the servers deliver (`test.sysmail`); everything else is refused. */
  readonly domain: string;
  /** The run's throwaway TLS trust anchor. */
  readonly tls: {
    /** Path of the CA certificate (PEM) that signed the servers' certificate. */
    readonly caFile: string;
    /** The CA certificate itself (PEM), ready for a `tls.ca` option. */
    readonly ca: string;
    /** A name the certificate holds (`localhost`; `127.0.0.1` is in it too). */
    readonly servername: string;
  };
  /** Postfix's listeners. */
  readonly smtp: {
    /** No AUTH, STARTTLS offered; accepts mail for the test domain from anyone. */
    readonly open: RealSmtpListener;
    /** STARTTLS required, AUTH only after TLS, AUTH required. */
    readonly submission: RealSmtpListener;
    /** Implicit TLS, AUTH required. */
    readonly smtps: RealSmtpListener;
    /** No TLS at all, every mechanism on the plaintext link, AUTH required. */
    readonly plainAuth: RealSmtpListener;
    /** No AUTH; RCPT refused unless the client address logged in to POP3 recently. */
    readonly popBeforeSmtp: RealPopBeforeSmtpListener;
  };
  /** Dovecot's listeners. */
  readonly pop3: {
    /** Plaintext with STLS, USER/PASS, APOP and SASL. */
    readonly plain: RealPop3Listener;
    /** Implicit TLS. */
    readonly pop3s: RealPop3Listener;
  };
  /** The test users; see README.md for which has a non-ASCII password. */
  readonly users: readonly RealUser[];
  /** Log files to read when a test fails. */
  readonly logs: {
    /** Postfix's `maillog_file`. */
    readonly postfix: string;
    /** Dovecot's `log_path`. */
    readonly dovecot: string;
    /** The POP-before-SMTP policy daemon's stderr. */
    readonly popBeforeSmtpPolicy: string;
  };
}

/**
 * Reads the `servers.json` of a running harness.
 *
 * @param path - the file; defaults to the `SYSMAIL_REAL_SERVERS` environment variable
 * @returns the listeners, users and files of that run, with the CA certificate loaded
 * @throws Error when the variable is unset or the file is not a `servers.json` of this format
 */
export function loadRealServers(path: string | undefined = process.env[REAL_SERVERS_ENV]): RealServers {
  if (path === undefined || path === '') {
    throw new Error(
      `${REAL_SERVERS_ENV} is not set: start the servers as root with test-servers/real/start.sh ` +
        `and export the path it prints (the interop suite needs real Postfix and Dovecot).`,
    );
  }
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!isServersFile(parsed)) {
    throw new Error(`${path} is not a servers.json of format version 1 written by test-servers/real/start.sh.`);
  }
  return { ...parsed, tls: { ...parsed.tls, ca: readFileSync(parsed.tls.caFile, 'utf8') } };
}

/**
 * Finds a test user by the local part of its address.
 *
 * @param servers - the loaded run
 * @param localPart - `ascii`, `latin1`, `euro` or `other`
 * @returns the user
 * @throws Error when the run has no such user
 */
export function realUser(servers: RealServers, localPart: string): RealUser {
  const user = servers.users.find((u) => u.address === `${localPart}@${servers.domain}`);
  if (user === undefined) {
    throw new Error(`No test user ${localPart}@${servers.domain} in ${servers.runDir}/servers.json.`);
  }
  return user;
}

/**
 * Makes the POP-before-SMTP listener forget every POP3 login, so that the
 * next RCPT from 127.0.0.1 is refused until a new login.
 *
 * @param servers - the loaded run
 */
export function forgetPopLogins(servers: RealServers): void {
  writeFileSync(servers.smtp.popBeforeSmtp.loginsFile, '');
}

/**
 * Sets how long a POP3 login authorises SMTP, effective from the next RCPT.
 *
 * @param servers - the loaded run
 * @param seconds - a whole number of seconds, 0 or more
 * @throws RangeError when seconds is not a non-negative integer
 */
export function setPopBeforeSmtpWindow(servers: RealServers, seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new RangeError(`The POP-before-SMTP window must be a whole number of seconds >= 0, got ${seconds}.`);
  }
  writeFileSync(servers.smtp.popBeforeSmtp.windowFile, `${seconds}\n`);
}

type ServersFile = Omit<RealServers, 'tls'> & { readonly tls: Omit<RealServers['tls'], 'ca'> };

function isServersFile(value: unknown): value is ServersFile {
  if (!isRecord(value) || value['version'] !== 1) return false;
  const { smtp, pop3, tls, users } = value;
  return (
    typeof value['runDir'] === 'string' &&
    typeof value['domain'] === 'string' &&
    isRecord(tls) &&
    typeof tls['caFile'] === 'string' &&
    isRecord(smtp) &&
    ['open', 'submission', 'smtps', 'plainAuth', 'popBeforeSmtp'].every((k) => isListener(smtp[k])) &&
    isRecord(pop3) &&
    ['plain', 'pop3s'].every((k) => isListener(pop3[k])) &&
    Array.isArray(users) &&
    users.every((u) => isRecord(u) && typeof u['username'] === 'string' && typeof u['password'] === 'string')
  );
}

function isListener(value: unknown): boolean {
  return isRecord(value) && typeof value['host'] === 'string' && typeof value['port'] === 'number';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
