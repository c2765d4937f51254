import { createServerMechanism, type SaslServerMechanism, type SaslServerVerifier } from '@sysmail/sasl';
import { asUtf8ByteString } from '../utf8-byte-string.js';
import type { ServerConnection } from '../server-connection.js';
import type { CertificatePair } from '../tls-fixtures.js';
import type {
  FakeSmtpMessage,
  FakeSmtpScriptCommand,
  FakeSmtpScriptRule,
  FakeSmtpServerOptions,
  FakeSmtpSessionInfo,
} from './fake-smtp-types.js';
import type { ScriptBook } from './script-book.js';
import { parsePathArgument } from './smtp-path-parser.js';
import { registerSaslResponseSecrets } from '../test-secrets.js';

/** The longest command line accepted (RFC 5321 asks for 512; 2 KiB leaves room for ESMTP parameters). */
const MAX_COMMAND_LINE = 2048;
/** RFC 4954 4: AUTH lines may reach 12288 octets, since OAuth tokens are long. */
const MAX_AUTH_LINE = 12288;
const MAX_RECIPIENTS = 1000;
const DEFAULT_SIZE = 10 * 1024 * 1024;
const SCRIPTABLE = new Set<string>(['EHLO', 'HELO', 'STARTTLS', 'AUTH', 'MAIL', 'RCPT', 'DATA', 'BDAT', 'RSET', 'NOOP', 'QUIT']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What every session of one server shares. */
export interface FakeSmtpSessionContext {
  /** The server's options. */
  readonly options: FakeSmtpServerOptions;
  /** The server's certificate, for STARTTLS. */
  readonly certificate: CertificatePair;
  /** The scripted rules, with their remaining uses. */
  readonly script: ScriptBook;
  /** Records an accepted message and returns its queue id. */
  accept(message: FakeSmtpMessage): string;
}

/** The mail transaction between MAIL and the end of the message. */
interface Transaction {
  from: string;
  mailParameters: Record<string, string>;
  smtputf8: boolean;
  recipients: string[];
  recipientParameters: Record<string, string>[];
  rejectedRecipients: string[];
  chunks: Buffer[];
  chunkBytes: number;
}

/** The message as read after DATA's 354. */
interface DataRead {
  raw: Buffer;
  content: Buffer;
  size: number;
  bareLf: boolean;
}

/**
 * One SMTP session of the fake server (RFC 5321 with the ESMTP extensions of its
 * options), driven by a loop that reads a command, answers it and updates the session
 * record. A scripted rule replaces the server's reply; the state then follows the code
 * of the reply that was sent (a 2xx to RCPT accepts the recipient, whoever wrote it).
 */
export class FakeSmtpSession {
  readonly #conn: ServerConnection;
  readonly #info: FakeSmtpSessionInfo;
  readonly #context: FakeSmtpSessionContext;
  readonly #options: FakeSmtpServerOptions;
  #finished = false;
  #noService = false;
  #esmtp = false;
  #transaction: Transaction | undefined;
  #batch: string[] | undefined;

  /**
   * Binds a session to its connection.
   *
   * @param conn - the accepted connection
   * @param info - the session record the server publishes, updated in place
   * @param context - what the server's sessions share
   */
  constructor(conn: ServerConnection, info: FakeSmtpSessionInfo, context: FakeSmtpSessionContext) {
    this.#conn = conn;
    this.#info = info;
    this.#context = context;
    this.#options = context.options;
  }

  /** Greets, then serves commands until QUIT, a scripted close or the client's disconnection. */
  async run(): Promise<void> {
    try {
      await this.#greet();
      while (!this.#finished) {
        const line = await this.#readCommand();
        if (line === null) break;
        await this.#dispatch(line);
      }
    } finally {
      this.#conn.end();
    }
  }

  async #greet(): Promise<void> {
    let greeting = this.#options.greeting ?? `220 ${this.#hostname} ESMTP sysmail fake SMTP server`;
    const rule = this.#context.script.take('CONNECT', '');
    if (rule !== undefined) {
      const scripted = await this.#perform(rule);
      if (scripted === undefined) return;
      greeting = scripted;
    }
    await this.#reply(greeting);
    // RFC 5321 3.1: after a 554 greeting the server only waits for QUIT.
    if (!greeting.startsWith('220')) this.#noService = true;
  }

  get #hostname(): string {
    return this.#options.hostname ?? 'fake-smtp.test';
  }

  get #enhanced(): boolean {
    return this.#options.extensions?.enhancedStatusCodes ?? true;
  }

  get #maxSize(): number | undefined {
    if (this.#options.maxMessageSize !== undefined) return this.#options.maxMessageSize;
    const size = this.#options.extensions?.size ?? DEFAULT_SIZE;
    return size === false || size === 0 ? undefined : size;
  }

  /** A reply with its enhanced status code when ENHANCEDSTATUSCODES is on. */
  #status(code: number, enhanced: string, text: string): string {
    return this.#enhanced ? `${code} ${enhanced} ${text}` : `${code} ${text}`;
  }

  async #reply(text: string): Promise<void> {
    for (const line of text.split('\r\n')) this.#options.onTranscript?.({ direction: 'server', text: line });
    await this.#conn.send(`${text}\r\n`);
    // RFC 5321 3.8: 421 means the server is shutting the channel, whoever scripted it.
    if (text.startsWith('421')) this.#finish();
  }

  #finish(): void {
    this.#finished = true;
    this.#conn.end();
  }

  /**
   * Carries out a scripted rule.
   *
   * @returns the reply to send in place of the server's own, or undefined when the rule
   *   was an action that replaces the reply altogether
   */
  async #perform(rule: FakeSmtpScriptRule): Promise<string | undefined> {
    if (!('action' in rule)) return rule.reply;
    switch (rule.action) {
      case 'close':
        this.#finish();
        return undefined;
      case 'close-mid-reply': {
        const bytes = Buffer.from(`${rule.reply}\r\n`, 'utf8').subarray(0, rule.afterBytes);
        this.#options.onTranscript?.({ direction: 'server', text: bytes.toString('utf8') });
        await this.#conn.send(bytes);
        this.#finish();
        return undefined;
      }
      case 'silent':
        this.#finished = true;
        while ((await this.#conn.readLine()) !== null);
        return undefined;
      case 'garbage':
        this.#options.onTranscript?.({ direction: 'server', text: Buffer.from(rule.bytes).toString('latin1') });
        await this.#conn.send(rule.bytes);
        return undefined;
    }
  }

  /** The scripted reply for this command, if a rule takes it over; null when a rule acted instead of replying. */
  async #scripted(command: FakeSmtpScriptCommand, subject: string): Promise<string | null | undefined> {
    const rule = this.#context.script.take(command, subject);
    if (rule === undefined) return undefined;
    return (await this.#perform(rule)) ?? null;
  }

  async #readCommand(): Promise<string | null> {
    for (;;) {
      const startsBatch = this.#batch === undefined || this.#conn.bufferedBytes === 0;
      const raw = await this.#conn.readLine();
      if (raw === null) return null;
      if (raw.length > MAX_COMMAND_LINE) {
        this.#batch = undefined;
        this.#options.onTranscript?.({ direction: 'client', text: `<${raw.length}-byte line>` });
        await this.#reply(this.#status(500, '5.5.6', 'Line too long'));
        continue;
      }
      if (startsBatch) {
        this.#batch = [];
        this.#info.batches.push(this.#batch);
      }
      const text = raw.toString('utf8').replace(/\r?\n$/, '');
      const recorded = redactAuth(text);
      this.#info.commands.push(recorded);
      this.#batch?.push(recorded);
      this.#options.onTranscript?.({ direction: 'client', text: recorded });
      return text;
    }
  }

  async #dispatch(line: string): Promise<void> {
    const space = line.indexOf(' ');
    const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const argument = space < 0 ? '' : line.slice(space + 1);
    if (this.#noService && verb !== 'QUIT') {
      await this.#reply(this.#status(503, '5.5.1', 'Bad sequence of commands: no service here, only QUIT'));
      return;
    }
    if (/[\r\0]/.test(line)) {
      await this.#reply(this.#status(501, '5.5.4', 'Syntax error: CR or NUL inside the command'));
      return;
    }
    // BDAT's rule is looked up once its chunk is read, since the chunk is on the wire either way.
    const scripted = SCRIPTABLE.has(verb) && verb !== 'BDAT' ? await this.#scripted(verb as FakeSmtpScriptCommand, line) : undefined;
    if (scripted === null) {
      if (verb === 'MAIL' || verb === 'RCPT' || verb === 'DATA') this.#transaction = undefined;
      return;
    }
    switch (verb) {
      case 'EHLO':
      case 'HELO':
        return this.#hello(verb, argument, scripted);
      case 'STARTTLS':
        return this.#starttls(argument, scripted);
      case 'AUTH':
        return this.#auth(argument, scripted);
      case 'MAIL':
        return this.#mail(argument, scripted);
      case 'RCPT':
        return this.#rcpt(argument, scripted);
      case 'DATA':
        return this.#data(argument, scripted);
      case 'BDAT':
        return this.#bdat(line, argument);
      case 'RSET': {
        const reply = scripted ?? (argument === '' ? this.#status(250, '2.0.0', 'Ok') : this.#status(501, '5.5.4', 'Syntax: RSET'));
        if (reply.startsWith('2')) this.#transaction = undefined;
        return this.#reply(reply);
      }
      case 'NOOP':
        return this.#reply(scripted ?? this.#status(250, '2.0.0', 'Ok'));
      case 'QUIT':
        await this.#reply(scripted ?? this.#status(221, '2.0.0', 'Bye'));
        this.#finish();
        return;
      case 'VRFY':
      case 'EXPN':
        return this.#reply(this.#status(502, '5.5.1', `${verb} command is disabled`));
      case 'HELP':
        return this.#reply(this.#status(214, '2.0.0', 'See RFC 5321'));
      default:
        return this.#reply(this.#status(500, '5.5.2', 'Command unrecognized'));
    }
  }

  async #hello(verb: 'EHLO' | 'HELO', argument: string, scripted: string | undefined): Promise<void> {
    const name = argument.trim();
    let reply: string;
    if (name === '') reply = this.#status(501, '5.5.4', `Syntax: ${verb} hostname`);
    else if (verb === 'EHLO' && this.#options.ehlo === false) reply = this.#status(502, '5.5.1', 'EHLO not supported, use HELO');
    else if (verb === 'HELO') reply = `250 ${this.#hostname}`;
    else reply = this.#ehloReply(name);
    reply = scripted ?? reply;
    if (reply.startsWith('2')) {
      // RFC 5321 4.1.4: EHLO/HELO resets the transaction, like RSET.
      this.#transaction = undefined;
      this.#info.ehloName = name;
      this.#esmtp = verb === 'EHLO';
    }
    await this.#reply(reply);
  }

  #ehloReply(name: string): string {
    const extensions = this.#options.extensions ?? {};
    const size = extensions.size ?? DEFAULT_SIZE;
    const lines = [`${this.#hostname} greets ${name}`];
    if (extensions.pipelining ?? true) lines.push('PIPELINING');
    if (size !== false) lines.push(`SIZE ${size}`);
    if (extensions.eightBitMime ?? true) lines.push('8BITMIME');
    if (extensions.smtputf8 ?? true) lines.push('SMTPUTF8');
    if (this.#enhanced) lines.push('ENHANCEDSTATUSCODES');
    if (extensions.dsn === true) lines.push('DSN');
    if (extensions.chunking === true) lines.push('CHUNKING');
    if (this.#options.starttls === true && !this.#info.secure) lines.push('STARTTLS');
    if (this.#authOffered()) lines.push(`AUTH ${this.#options.auth?.mechanisms.join(' ') ?? ''}`);
    lines.push(...(extensions.extra ?? []));
    return lines.map((line, index) => `250${index === lines.length - 1 ? ' ' : '-'}${line}`).join('\r\n');
  }

  #authOffered(): boolean {
    const auth = this.#options.auth;
    return auth !== undefined && auth.mechanisms.length > 0 && (this.#info.secure || auth.advertiseBeforeTls !== false);
  }

  async #starttls(argument: string, scripted: string | undefined): Promise<void> {
    let reply: string;
    if (argument !== '') reply = this.#status(501, '5.5.4', 'Syntax: STARTTLS');
    else if (this.#info.secure) reply = this.#status(503, '5.5.1', 'TLS already active');
    else if (this.#options.starttls !== true) reply = this.#status(502, '5.5.1', 'STARTTLS not supported');
    else reply = this.#options.starttlsReply ?? this.#status(220, '2.0.0', 'Ready to start TLS');
    reply = scripted ?? reply;
    await this.#reply(reply);
    if (!reply.startsWith('220') || this.#info.secure) return;
    if (this.#options.injectAfterStarttls !== undefined) {
      this.#options.onTranscript?.({ direction: 'server', text: this.#options.injectAfterStarttls });
      await this.#conn.send(this.#options.injectAfterStarttls);
    }
    // RFC 3207 / CVE-2011-0411: whatever the client pipelined after STARTTLS came in
    // plaintext, so it must not be executed as if it had come over TLS.
    this.#conn.discardBuffered();
    this.#batch = undefined;
    try {
      await this.#conn.startTls(this.#context.certificate);
    } catch {
      this.#finished = true;
      this.#conn.destroy();
      return;
    }
    // RFC 3207 4.2: everything learnt before TLS is forgotten; a new EHLO is required.
    this.#info.secure = true;
    delete this.#info.ehloName;
    delete this.#info.authenticatedAs;
    delete this.#info.mechanism;
    this.#esmtp = false;
    this.#transaction = undefined;
  }

  async #auth(argument: string, scripted: string | undefined): Promise<void> {
    if (scripted !== undefined) return this.#reply(scripted);
    const auth = this.#options.auth;
    const [name = '', initial, ...extra] = argument.split(' ');
    const offered = auth?.mechanisms.find((mechanism) => mechanism.toUpperCase() === name.toUpperCase());
    let refusal: string | undefined;
    if (auth === undefined) refusal = this.#status(503, '5.5.1', 'Authentication not enabled');
    else if (!this.#esmtp) refusal = this.#status(503, '5.5.1', 'Send EHLO first');
    else if (this.#options.requireTls === true && !this.#info.secure) refusal = this.#status(530, '5.7.0', 'Must issue a STARTTLS command first');
    else if (!this.#authOffered()) refusal = this.#status(538, '5.7.11', 'Encryption required for requested authentication mechanism');
    else if (this.#info.authenticatedAs !== undefined) refusal = this.#status(503, '5.5.1', 'Already authenticated');
    else if (this.#transaction !== undefined) refusal = this.#status(503, '5.5.1', 'AUTH not permitted during a mail transaction');
    else if (name === '' || extra.length > 0) refusal = this.#status(501, '5.5.4', 'Syntax: AUTH mechanism [initial-response]');
    else if (offered === undefined) refusal = this.#status(504, '5.5.4', 'Unrecognized authentication type');
    if (refusal !== undefined || auth === undefined || offered === undefined) return this.#reply(refusal ?? '');
    let mechanism: SaslServerMechanism;
    try {
      mechanism = createServerMechanism(offered, this.#verifier(offered === 'DIGEST-MD5' && auth.digestMd5Utf8Passwords === true), {
        service: 'smtp',
        host: this.#hostname,
        ...this.#channelBinding(offered, auth.mechanisms),
      });
    } catch {
      return this.#reply(this.#status(504, '5.5.4', 'Unrecognized authentication type'));
    }
    let response: Uint8Array | null = null;
    let responses = 0;
    if (initial !== undefined) {
      const decoded = decodeResponse(initial);
      if (decoded === 'cancel') return this.#reply(this.#status(501, '5.7.0', 'Authentication cancelled'));
      if (decoded === undefined) return this.#reply(this.#status(501, '5.5.2', 'Cannot Base64-decode client response'));
      response = decoded;
    }
    for (;;) {
      if (response !== null) registerSaslResponseSecrets(offered, responses++, response);
      const step = mechanism.step(response);
      if (step.type === 'failure') return this.#reply(this.#status(535, '5.7.8', 'Authentication credentials invalid'));
      if (step.type === 'success') {
        // RFC 4954 has no room for additional data with success in the 235 reply, so
        // (RFC 4422 5) it goes out as one more challenge answered by an empty response.
        if (step.finalData !== undefined && auth.dataWithSuccess === 'success-reply') {
          this.#info.authenticatedAs = step.identity;
          this.#info.mechanism = mechanism.name;
          return this.#reply(this.#status(235, '2.7.0', Buffer.from(step.finalData).toString('base64')));
        }
        if (step.finalData !== undefined) {
          const answer = await this.#challenge(step.finalData);
          if (answer === null || answer === 'handled') return;
          if (answer.length !== 0) return this.#reply(this.#status(535, '5.7.8', 'Authentication credentials invalid'));
        }
        this.#info.authenticatedAs = step.identity;
        this.#info.mechanism = mechanism.name;
        return this.#reply(this.#status(235, '2.7.0', 'Authentication successful'));
      }
      const answer = await this.#challenge(step.challenge);
      if (answer === null || answer === 'handled') return;
      response = answer;
    }
  }

  /** Sends a 334 challenge and reads the client's answer; 'handled' when the exchange ended with an error reply. */
  async #challenge(challenge: Uint8Array): Promise<Uint8Array | 'handled' | null> {
    await this.#reply(`334 ${Buffer.from(challenge).toString('base64')}`);
    this.#batch = undefined;
    const raw = await this.#conn.readLine();
    if (raw === null) {
      this.#finished = true;
      return null;
    }
    if (raw.length > MAX_AUTH_LINE) {
      await this.#reply(this.#status(500, '5.5.6', 'Authentication exchange line is too long'));
      return 'handled';
    }
    const text = raw.toString('latin1').replace(/\r?\n$/, '');
    const recorded = text === '*' ? '*' : '<redacted>';
    this.#info.commands.push(recorded);
    this.#options.onTranscript?.({ direction: 'client', text: recorded });
    const decoded = decodeResponse(text === '' ? '=' : text);
    if (decoded === 'cancel') {
      await this.#reply(this.#status(501, '5.7.0', 'Authentication cancelled'));
      return 'handled';
    }
    if (decoded === undefined) {
      await this.#reply(this.#status(501, '5.5.2', 'Cannot Base64-decode client response'));
      return 'handled';
    }
    return decoded;
  }

  #verifier(utf8DigestPasswords = false): SaslServerVerifier {
    const auth = this.#options.auth;
    const users = auth?.users ?? {};
    const verifyToken = auth?.verifyToken;
    const externalIdentity = auth?.externalIdentity;
    const lookup = (username: string): string | undefined => (Object.hasOwn(users, username) ? users[username] : undefined);
    return {
      lookupPassword: utf8DigestPasswords ? (username) => asUtf8ByteString(lookup(username)) : lookup,
      ...(verifyToken === undefined ? {} : { verifyToken: (username: string, token: string) => verifyToken(username, token) }),
      ...(externalIdentity === undefined ? {} : { externalIdentity }),
    };
  }

  /**
   * The tls-exporter binding (RFC 9266) for the SASL server, when this server can bind:
   * over TLS and offering a -PLUS mechanism. Only then is a SCRAM client's "y" flag a downgrade.
   */
  #channelBinding(mechanism: string, offered: readonly string[]): { channelBinding?: { type: 'tls-exporter'; data: Uint8Array } } {
    const socket = this.#conn.tlsSocket;
    const binds = [mechanism, ...offered].some((name) => name.toUpperCase().endsWith('-PLUS'));
    if (socket === undefined || !binds) return {};
    const data = socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
    return { channelBinding: { type: 'tls-exporter', data: new Uint8Array(data) } };
  }

  async #mail(argument: string, scripted: string | undefined): Promise<void> {
    const parsed = parsePathArgument(argument, 'FROM:', true);
    const reply = scripted ?? this.#mailRefusal(parsed) ?? this.#status(250, '2.1.0', 'Ok');
    if (reply.startsWith('2')) {
      this.#transaction = {
        from: parsed?.address ?? argument,
        mailParameters: parsed?.parameters ?? {},
        smtputf8: parsed !== undefined && 'SMTPUTF8' in parsed.parameters,
        recipients: [],
        recipientParameters: [],
        rejectedRecipients: [],
        chunks: [],
        chunkBytes: 0,
      };
    }
    await this.#reply(reply);
  }

  #mailRefusal(parsed: ReturnType<typeof parsePathArgument>): string | undefined {
    const extensions = this.#options.extensions ?? {};
    if (this.#info.ehloName === undefined) return this.#status(503, '5.5.1', 'Send EHLO/HELO first');
    if (this.#options.requireTls === true && !this.#info.secure) return this.#status(530, '5.7.0', 'Must issue a STARTTLS command first');
    if (this.#options.auth?.required === true && this.#options.auth.refuseAt !== 'rcpt' && this.#info.authenticatedAs === undefined) {
      return this.#status(530, '5.7.0', 'Authentication required');
    }
    if (this.#transaction !== undefined) return this.#status(503, '5.5.1', 'Nested MAIL command');
    if (parsed === undefined) return this.#status(501, '5.5.4', 'Syntax: MAIL FROM:<address> [parameters]');
    for (const [keyword, value] of Object.entries(parsed.parameters)) {
      const refusal = this.#esmtp ? this.#mailParameterRefusal(keyword, value, extensions) : this.#status(555, '5.5.4', `${keyword} parameter not allowed after HELO`);
      if (refusal !== undefined) return refusal;
    }
    if (parsed.utf8 && !('SMTPUTF8' in parsed.parameters)) return this.#status(553, '5.6.7', 'Address requires SMTPUTF8');
    return undefined;
  }

  #mailParameterRefusal(keyword: string, value: string, extensions: NonNullable<FakeSmtpServerOptions['extensions']>): string | undefined {
    const unsupported = this.#status(555, '5.5.4', `Unsupported MAIL parameter ${keyword}`);
    switch (keyword) {
      case 'SIZE': {
        if ((extensions.size ?? DEFAULT_SIZE) === false) return unsupported;
        if (!/^\d{1,20}$/.test(value)) return this.#status(501, '5.5.4', 'Bad SIZE value');
        const max = this.#maxSize;
        return max !== undefined && Number(value) > max ? this.#status(552, '5.3.4', 'Message size exceeds fixed maximum message size') : undefined;
      }
      case 'BODY': {
        const body = value.toUpperCase();
        if (body === '7BIT' || (body === '8BITMIME' && (extensions.eightBitMime ?? true))) return undefined;
        return this.#status(555, '5.5.4', `Unsupported BODY type ${value}`);
      }
      case 'SMTPUTF8':
        return (extensions.smtputf8 ?? true) && value === '' ? undefined : unsupported;
      case 'RET':
        return extensions.dsn === true && /^(FULL|HDRS)$/i.test(value) ? undefined : unsupported;
      case 'ENVID':
        return extensions.dsn === true && value !== '' ? undefined : unsupported;
      case 'AUTH':
        return this.#options.auth !== undefined && value !== '' ? undefined : unsupported;
      default:
        return unsupported;
    }
  }

  async #rcpt(argument: string, scripted: string | undefined): Promise<void> {
    const parsed = parsePathArgument(argument, 'TO:', false);
    const transaction = this.#transaction;
    const reply = scripted ?? this.#rcptRefusal(parsed, transaction) ?? this.#status(250, '2.1.5', 'Ok');
    if (transaction !== undefined) {
      const address = parsed?.address ?? argument;
      if (reply.startsWith('2')) {
        transaction.recipients.push(address);
        transaction.recipientParameters.push(parsed?.parameters ?? {});
      } else {
        transaction.rejectedRecipients.push(address);
      }
    }
    await this.#reply(reply);
  }

  #rcptRefusal(parsed: ReturnType<typeof parsePathArgument>, transaction: Transaction | undefined): string | undefined {
    const dsn = this.#options.extensions?.dsn === true;
    if (transaction === undefined) return this.#status(503, '5.5.1', 'Need MAIL before RCPT');
    if (parsed === undefined) return this.#status(501, '5.5.4', 'Syntax: RCPT TO:<address> [parameters]');
    for (const [keyword, value] of Object.entries(parsed.parameters)) {
      const ok =
        dsn &&
        ((keyword === 'NOTIFY' && /^(NEVER|(SUCCESS|FAILURE|DELAY)(,(SUCCESS|FAILURE|DELAY))*)$/i.test(value)) ||
          (keyword === 'ORCPT' && /^[^;]+;.+$/.test(value)));
      if (!ok) return this.#status(555, '5.5.4', `Unsupported RCPT parameter ${keyword}`);
    }
    if (parsed.utf8 && !transaction.smtputf8) return this.#status(553, '5.6.7', 'Address requires SMTPUTF8');
    if (transaction.recipients.length >= MAX_RECIPIENTS) return this.#status(452, '4.5.3', 'Too many recipients');
    const auth = this.#options.auth;
    if (auth?.required === true && auth.refuseAt === 'rcpt' && this.#info.authenticatedAs === undefined) {
      return this.#status(554, '5.7.1', `<${parsed.address}>: Recipient address rejected: Access denied`);
    }
    const policy = this.#options.relayPolicy?.(this.#info) ?? true;
    return policy === true ? undefined : policy;
  }

  async #data(argument: string, scripted: string | undefined): Promise<void> {
    const transaction = this.#transaction;
    let reply: string;
    if (argument !== '') reply = this.#status(501, '5.5.4', 'Syntax: DATA');
    else if (transaction === undefined) reply = this.#status(503, '5.5.1', 'Need MAIL command');
    else if (transaction.chunks.length > 0) reply = this.#status(503, '5.5.1', 'DATA in the middle of BDAT');
    else if (transaction.recipients.length === 0) reply = this.#status(554, '5.5.1', 'No valid recipients');
    else reply = '354 End data with <CR><LF>.<CR><LF>';
    reply = scripted ?? reply;
    await this.#reply(reply);
    if (!reply.startsWith('354')) {
      if (!reply.startsWith('2') && transaction !== undefined && transaction.recipients.length === 0) this.#transaction = undefined;
      return;
    }
    this.#batch = undefined;
    const read = await this.#readData();
    if (read === null) {
      this.#finished = true;
      return;
    }
    this.#options.onTranscript?.({ direction: 'client', text: `<message data: ${read.raw.length} bytes>` });
    this.#transaction = undefined;
    const max = this.#maxSize;
    let natural: string;
    if (read.bareLf && this.#options.acceptBareLf !== true) natural = this.#status(550, '5.5.2', 'Bare <LF> received, CRLF required');
    else if (max !== undefined && read.size > max) natural = this.#status(552, '5.3.4', 'Message size exceeds fixed maximum message size');
    else if (transaction === undefined || transaction.recipients.length === 0) natural = this.#status(554, '5.5.1', 'No valid recipients');
    else natural = '';
    const end = await this.#scripted('DATA-END', read.raw.toString('latin1'));
    if (end === null) return;
    const accepted = (end === undefined && natural === '') || (end !== undefined && end.startsWith('2'));
    let queueId = '';
    if (accepted && transaction !== undefined) queueId = this.#record(transaction, read.raw, read.content, 'DATA');
    await this.#reply(end ?? (natural || this.#status(250, '2.0.0', `Ok: queued as ${queueId}`)));
  }

  /**
   * Reads message lines up to the final dot. The end is CRLF "." CRLF only, unless bare
   * LFs are accepted: an LF "." LF must not end the message for a server that refuses
   * them, or it would be open to SMTP smuggling.
   */
  async #readData(): Promise<DataRead | null> {
    const max = this.#maxSize;
    const accept = this.#options.acceptBareLf === true;
    const raw: Buffer[] = [];
    const content: Buffer[] = [];
    let size = 0;
    let bareLf = false;
    let previousCrlf = true;
    for (;;) {
      const line = await this.#conn.readLine();
      if (line === null) return null;
      const crlf = line.length >= 2 && line[line.length - 2] === 0x0d;
      const dotLine = line[0] === 0x2e && line.length === (crlf ? 3 : 2);
      if (dotLine && (accept || (crlf && previousCrlf))) break;
      if (!crlf) bareLf = true;
      previousCrlf = crlf;
      const unstuffed = line[0] === 0x2e ? line.subarray(1) : line;
      size += unstuffed.length;
      // Past the limit the message is refused anyway: stop holding it in memory.
      if (max === undefined || size <= max) {
        raw.push(line);
        content.push(unstuffed);
      }
    }
    if (bareLf) this.#info.bareLfSeen = true;
    return { raw: Buffer.concat(raw), content: Buffer.concat(content), size, bareLf };
  }

  async #bdat(line: string, argument: string): Promise<void> {
    const syntax = /^(\d{1,15})( +LAST)?$/i.exec(argument.trim());
    if (this.#options.extensions?.chunking !== true || !this.#esmtp) {
      return this.#reply(this.#status(502, '5.5.1', 'BDAT not supported, CHUNKING is not advertised'));
    }
    if (syntax === null) return this.#reply(this.#status(501, '5.5.4', 'Syntax: BDAT size [LAST]'));
    const count = Number(syntax[1]);
    const last = syntax[2] !== undefined;
    const chunk = await this.#conn.readExactly(count);
    if (chunk === null) {
      this.#finished = true;
      return;
    }
    this.#options.onTranscript?.({ direction: 'client', text: `<BDAT chunk: ${count} bytes>` });
    const transaction = this.#transaction;
    const max = this.#maxSize;
    let natural: string | undefined;
    if (transaction === undefined) natural = this.#status(503, '5.5.1', 'Need MAIL before BDAT');
    else if (transaction.recipients.length === 0) natural = this.#status(554, '5.5.1', 'No valid recipients');
    else if (max !== undefined && transaction.chunkBytes + count > max) natural = this.#status(552, '5.3.4', 'Message size exceeds fixed maximum message size');
    const scripted = await this.#scripted('BDAT', line);
    if (scripted === null) {
      this.#transaction = undefined;
      return;
    }
    const reply = scripted ?? natural;
    if (transaction === undefined || (reply !== undefined && !reply.startsWith('2'))) {
      // RFC 3030 2: a refused chunk fails the whole transaction.
      this.#transaction = undefined;
      return this.#reply(reply ?? '');
    }
    transaction.chunks.push(Buffer.from(chunk));
    transaction.chunkBytes += count;
    if (!last) return this.#reply(reply ?? this.#status(250, '2.0.0', `${count} octets received`));
    this.#transaction = undefined;
    const data = Buffer.concat(transaction.chunks);
    const queueId = this.#record(transaction, data, data, 'BDAT');
    return this.#reply(reply ?? this.#status(250, '2.0.0', `Ok: ${data.length} octets queued as ${queueId}`));
  }

  #record(transaction: Transaction, data: Buffer, content: Buffer, via: 'DATA' | 'BDAT'): string {
    return this.#context.accept({
      from: transaction.from,
      mailParameters: transaction.mailParameters,
      recipients: transaction.recipients,
      recipientParameters: transaction.recipientParameters,
      rejectedRecipients: transaction.rejectedRecipients,
      data: new Uint8Array(data),
      content: new Uint8Array(content),
      via,
      session: this.#info,
      receivedAt: Date.now(),
    });
  }
}

/** The command line as recorded: an AUTH initial response is a secret. */
function redactAuth(line: string): string {
  const match = /^(AUTH +\S+) +\S/i.exec(line);
  return match === null ? line : `${match[1] ?? 'AUTH'} <redacted>`;
}

/** Decodes an AUTH response: `=` is empty (RFC 4954 4), `*` cancels. */
function decodeResponse(text: string): Uint8Array | 'cancel' | undefined {
  if (text === '*') return 'cancel';
  if (text === '=') return new Uint8Array(0);
  if (!BASE64.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}
