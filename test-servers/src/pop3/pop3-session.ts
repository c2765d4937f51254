import { createHash } from 'node:crypto';
import type * as net from 'node:net';
import { createServerMechanism, mechanismNeedsChannelBinding, type SaslServerMechanism } from '@sysmail/sasl';
import { ServerConnection } from '../server-connection.js';
import { asUtf8ByteString } from '../utf8-byte-string.js';
import type { CertificatePair } from '../tls-fixtures.js';
import type {
  FakePop3Login,
  FakePop3LoginMethod,
  FakePop3RuleAction,
  FakePop3ServerOptions,
  FakePop3SessionInfo,
  FakePop3TranscriptEntry,
} from './fake-pop3-types.js';
import type { Maildrop, MaildropDirectory, StoredMessage } from './pop3-maildrop.js';
import type { Pop3Script } from './pop3-script.js';
import { redactPop3Command } from './redact-pop3-command.js';
import { registerSaslResponseSecrets, registerTestSecret } from '../test-secrets.js';

/** RFC 2449 §4: a command line is at most 255 octets, CRLF included. */
const MAX_COMMAND_LINE = 255;
/** AUTH lines carry base64 SASL data (XOAUTH2 tokens exceed 255 octets), so they get more room. */
const MAX_AUTH_LINE = 16 * 1024;
/** Bodies up to this size go out in the same write as their status line. */
const COALESCE_LIMIT = 64 * 1024;
/** Large bodies are written in slices of this size, each awaiting drain, so TLS never buffers a whole 512 MiB body. */
const SLICE_BYTES = 1024 * 1024;
const TERMINATOR = Buffer.from('.\r\n');
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What every session of one server shares. */
export interface Pop3ServerContext {
  /** The server options. */
  readonly options: FakePop3ServerOptions;
  /** The host name of the greeting. */
  readonly hostname: string;
  /** The certificate for STLS. */
  readonly certificate: CertificatePair;
  /** The script rules. */
  readonly script: Pop3Script;
  /** The maildrops. */
  readonly maildrops: MaildropDirectory;
  /** Where successful logins are recorded. */
  readonly logins: FakePop3Login[];
}

/** A response: a status line and, for multi-line responses, listing lines or a message body. */
interface Pop3Reply {
  status: string;
  /** Listing lines (CAPA, LIST, UIDL), never starting with '.'. */
  lines?: string[];
  /** A dot-stuffed, CRLF-terminated message body. */
  body?: Uint8Array | Iterable<Uint8Array>;
  /** What to do once the reply is sent (STLS handshake, QUIT close). */
  after?: () => Promise<void>;
}

let timestampCounter = 0;

/** One POP3 connection: the AUTHORIZATION, TRANSACTION and UPDATE states of RFC 1939. */
export class Pop3Session {
  /** What the server records about this session. */
  readonly info: FakePop3SessionInfo;
  readonly #connection: ServerConnection;
  readonly #context: Pop3ServerContext;
  readonly #timestamp: string | undefined;
  #state: 'authorization' | 'transaction' | 'closed' = 'authorization';
  #pendingUser: string | undefined;
  #maildrop: Maildrop | undefined;
  #messages: StoredMessage[] = [];
  readonly #deleted = new Set<number>();
  #ignoring = false;

  /**
   * Starts tracking a freshly accepted connection.
   * @param socket - the accepted socket (TLS already for implicit TLS)
   * @param context - what the server's sessions share
   */
  constructor(socket: net.Socket, context: Pop3ServerContext) {
    this.#connection = new ServerConnection(socket, context.options.faults ?? {});
    this.#context = context;
    this.info = {
      remoteAddress: this.#connection.remoteAddress ?? '',
      startedAt: Date.now(),
      secure: this.#connection.secure,
      commands: [],
      batches: [],
      deleted: [],
      discardedAfterStls: 0,
    };
    const { options } = context;
    const apop = options.apop ?? true;
    if (options.greeting !== undefined) {
      this.#timestamp = apop ? /<[^>]*>/.exec(options.greeting)?.[0] : undefined;
    } else if (apop) {
      timestampCounter += 1;
      this.#timestamp = options.apopTimestamp ?? `<${process.pid}.${Date.now()}.${timestampCounter}@${context.hostname}>`;
    }
  }

  /** Serves the connection until the client leaves or the server closes it; never rejects. */
  async run(): Promise<void> {
    try {
      await this.#serve();
    } catch {
      this.#connection.destroy();
    }
  }

  async #serve(): Promise<void> {
    const { options } = this.#context;
    const greeting = options.greeting ?? `+OK ${this.#context.hostname} POP3 server ready${this.#timestamp === undefined ? '' : ` ${this.#timestamp}`}`;
    await this.#answer('CONNECT', '', () => Promise.resolve({ status: greeting }));
    while (this.#state !== 'closed') {
      const continuing = this.#connection.bufferedBytes > 0;
      const raw = await this.#connection.readLine();
      if (raw === null) return;
      if (this.#ignoring) continue;
      const line = raw.toString('utf8').replace(/\r?\n$/, '');
      const keyword = (line.split(' ')[0] ?? '').toUpperCase();
      const recorded = redactPop3Command(line);
      this.info.commands.push(recorded);
      const batch = this.info.batches.at(-1);
      if (continuing && batch !== undefined) batch.push(recorded);
      else this.info.batches.push([recorded]);
      this.#transcript('client', recorded);
      if (keyword !== 'PASS') this.#pendingUser = undefined;
      if (raw.length > (keyword === 'AUTH' ? MAX_AUTH_LINE : MAX_COMMAND_LINE)) {
        await this.#send({ status: '-ERR command line too long' });
      } else if (/[\0\r\n]/.test(line)) {
        await this.#send({ status: '-ERR invalid characters in command' });
      } else {
        await this.#answer(keyword, line, () => this.#execute(keyword, line.split(' ').slice(1), line));
      }
    }
  }

  /** Applies the first matching script rule, or executes the command and sends its reply. */
  async #answer(command: string, line: string, execute: () => Promise<Pop3Reply>): Promise<void> {
    const rule = this.#context.script.take(command, line);
    if (rule === undefined) {
      const reply = await execute();
      await this.#send(reply);
      await reply.after?.();
      return;
    }
    await this.#perform(rule, execute);
  }

  async #perform(rule: FakePop3RuleAction, execute: () => Promise<Pop3Reply>): Promise<void> {
    if ('reply' in rule && !('action' in rule)) {
      const text = rule.reply.endsWith('\r\n') ? rule.reply : `${rule.reply}\r\n`;
      for (const part of text.split('\r\n').slice(0, -1)) this.#transcript('server', part);
      await this.#connection.send(text);
      return;
    }
    switch (rule.action) {
      case 'close':
        this.#close();
        return;
      case 'close-mid-reply': {
        const bytes = Buffer.from(rule.reply.endsWith('\r\n') ? rule.reply : `${rule.reply}\r\n`, 'utf8');
        this.#transcript('server', `${bytes.subarray(0, rule.afterBytes).toString('utf8')} [connection closed]`);
        await this.#connection.send(bytes.subarray(0, rule.afterBytes));
        this.#close();
        return;
      }
      case 'silent':
        return;
      case 'garbage':
        this.#transcript('server', `[garbage: ${rule.bytes.length} ${typeof rule.bytes === 'string' ? 'characters' : 'octets'}]`);
        await this.#connection.send(rule.bytes);
        return;
      case 'no-terminator':
        await this.#send(await execute(), false);
        this.#ignoring = true;
        return;
    }
  }

  async #send(reply: Pop3Reply, terminate = true): Promise<void> {
    this.#transcript('server', reply.status);
    const status = Buffer.from(`${reply.status}\r\n`, 'utf8');
    let body = reply.body;
    if (reply.lines !== undefined) {
      for (const line of reply.lines) this.#transcript('server', line);
      body = Buffer.from(reply.lines.map((line) => `${line}\r\n`).join(''), 'utf8');
    }
    if (body === undefined) {
      await this.#connection.send(terminate ? status : status.subarray(0, -2));
      return;
    }
    if (reply.lines === undefined) this.#transcript('server', `[body: ${reply.body instanceof Uint8Array ? reply.body.length : 'streamed'} octets]`);
    const end = terminate ? TERMINATOR : Buffer.alloc(0);
    if (body instanceof Uint8Array) {
      if (body.length <= COALESCE_LIMIT) {
        await this.#connection.send(Buffer.concat([status, body, end]));
        return;
      }
      body = slices(body);
    }
    await this.#connection.send(status);
    for (const chunk of body) {
      if (chunk.length > 0) await this.#connection.send(chunk);
    }
    if (end.length > 0) await this.#connection.send(end);
  }

  #transcript(direction: FakePop3TranscriptEntry['direction'], text: string): void {
    this.#context.options.onTranscript?.({ direction, text });
  }

  #close(): void {
    this.#state = 'closed';
    this.#connection.destroy();
  }

  #execute(keyword: string, args: string[], line: string): Promise<Pop3Reply> {
    switch (keyword) {
      case 'CAPA':
        return Promise.resolve(this.#capa(args));
      case 'STLS':
        return Promise.resolve(this.#stls(args));
      case 'USER':
        return Promise.resolve(this.#user(line));
      case 'PASS':
        return Promise.resolve(this.#pass(line));
      case 'APOP':
        return Promise.resolve(this.#apop(args));
      case 'AUTH':
        return this.#auth(args);
      case 'QUIT':
        return Promise.resolve(this.#quit(args));
      case 'STAT':
      case 'LIST':
      case 'UIDL':
      case 'RETR':
      case 'TOP':
      case 'DELE':
      case 'RSET':
      case 'NOOP':
        return Promise.resolve(this.#state === 'transaction' ? this.#transaction(keyword, args) : err('command not valid in this state'));
      default:
        return Promise.resolve(err('unknown command'));
    }
  }

  // AUTHORIZATION state

  #code(code: string): string {
    return this.#context.options.respCodes === false ? '' : `[${code}] `;
  }

  #capa(args: string[]): Pop3Reply {
    const { options } = this.#context;
    if (options.capa === false) return err('unknown command');
    if (args.length > 0) return err('CAPA takes no argument');
    const lines = ['TOP', 'UIDL'];
    if (options.userPass ?? true) lines.push('USER');
    const mechanisms = this.#offeredMechanisms();
    if (mechanisms.length > 0) lines.push(`SASL ${mechanisms.join(' ')}`);
    if (options.stls === true && !this.#connection.secure && this.#state === 'authorization') lines.push('STLS');
    if (options.pipelining ?? true) lines.push('PIPELINING');
    if (options.respCodes ?? true) lines.push('RESP-CODES', 'AUTH-RESP-CODE');
    lines.push('IMPLEMENTATION sysmail-fake-pop3');
    return { status: '+OK Capability list follows', lines };
  }

  #offeredMechanisms(): string[] {
    const secure = this.#connection.secure;
    return (this.#context.options.saslMechanisms ?? []).map((m) => m.toUpperCase()).filter((m) => secure || !mechanismNeedsChannelBinding(m));
  }

  #stls(args: string[]): Pop3Reply {
    const { options } = this.#context;
    if (options.stls !== true) return err('unknown command');
    if (args.length > 0) return err('STLS takes no argument');
    if (this.#connection.secure) return err('command not permitted when TLS active');
    if (this.#state !== 'authorization') return err('command not valid in this state');
    return {
      status: '+OK Begin TLS negotiation',
      after: async () => {
        if (options.injectAfterStls !== undefined) {
          this.#transcript('server', `[injected: ${options.injectAfterStls.length} characters]`);
          await this.#connection.send(options.injectAfterStls);
        }
        // RFC 2595 §4 / RFC 3207 §6: what the client pipelined before the handshake must not be acted upon.
        this.info.discardedAfterStls = this.#connection.bufferedBytes;
        this.#connection.discardBuffered();
        try {
          await this.#connection.startTls(this.#context.certificate);
        } catch {
          this.#close();
          return;
        }
        this.info.secure = true;
      },
    };
  }

  #authorizationRefusal(): Pop3Reply | undefined {
    if (this.#state !== 'authorization') return err('command not valid in this state');
    if (this.#context.options.requireTls === true && !this.#connection.secure) return err(`${this.#code('AUTH')}TLS required`);
    return undefined;
  }

  #user(line: string): Pop3Reply {
    if (this.#context.options.userPass === false) return err('unknown command');
    const refusal = this.#authorizationRefusal();
    if (refusal !== undefined) return refusal;
    const name = line.slice(5);
    if (name.length === 0) return err('USER needs a name');
    // Always +OK: telling unknown users apart would let a client enumerate accounts.
    this.#pendingUser = name;
    return { status: `+OK send PASS` };
  }

  #pass(line: string): Pop3Reply {
    if (this.#context.options.userPass === false) return err('unknown command');
    const refusal = this.#authorizationRefusal();
    if (refusal !== undefined) return refusal;
    const user = this.#pendingUser;
    this.#pendingUser = undefined;
    if (user === undefined) return err('send USER first');
    const password = line.slice(5);
    registerTestSecret('POP3 PASS argument', password);
    if (this.#password(user) !== password) return err(`${this.#code('AUTH')}invalid user name or password`);
    return this.#login(user, 'user');
  }

  #apop(args: string[]): Pop3Reply {
    if (this.#context.options.apop === false) return err('unknown command');
    const refusal = this.#authorizationRefusal();
    if (refusal !== undefined) return refusal;
    const [user, digest] = args;
    if (args.length !== 2 || user === undefined || digest === undefined || !/^[0-9a-f]{32}$/i.test(digest)) return err('APOP needs a name and an MD5 digest');
    if (this.#timestamp === undefined) return err('APOP not available: no timestamp in the greeting');
    registerTestSecret('APOP digest', digest);
    const password = this.#password(user);
    const expected = password === undefined ? undefined : createHash('md5').update(this.#timestamp + password, 'utf8').digest('hex');
    if (expected !== digest.toLowerCase()) return err(`${this.#code('AUTH')}authentication failed`);
    return this.#login(user, 'apop');
  }

  async #auth(args: string[]): Promise<Pop3Reply> {
    const refusal = this.#authorizationRefusal();
    if (refusal !== undefined) return refusal;
    const [name, initial] = args;
    if (name === undefined || args.length > 2) return err('AUTH needs a mechanism and at most an initial response');
    if (!this.#offeredMechanisms().includes(name.toUpperCase())) return err('unsupported authentication mechanism');
    const { options } = this.#context;
    const tlsSocket = this.#connection.tlsSocket;
    let mechanism: SaslServerMechanism;
    try {
      mechanism = createServerMechanism(
        name,
        {
          lookupPassword: (user) =>
            name.toUpperCase() === 'DIGEST-MD5' && options.digestMd5Utf8Passwords === true ? asUtf8ByteString(this.#password(user)) : this.#password(user),
          ...(options.verifyToken === undefined ? {} : { verifyToken: options.verifyToken }),
        },
        {
          service: 'pop',
          ...(tlsSocket === undefined
            ? {}
            : { channelBinding: { type: 'tls-exporter', data: tlsSocket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)) } }),
        },
      );
    } catch {
      return err('unsupported authentication mechanism');
    }
    let response: Uint8Array | null = null;
    let responses = 0;
    if (initial !== undefined) {
      // RFC 5034 §4: '=' is an empty initial response.
      if (initial !== '=' && !BASE64.test(initial)) return err('invalid base64 in initial response');
      response = Buffer.from(initial === '=' ? '' : initial, 'base64');
    }
    for (;;) {
      if (response !== null) registerSaslResponseSecrets(name, responses++, response);
      const step = mechanism.step(response);
      if (step.type === 'failure') return err(`${this.#code('AUTH')}authentication failed`);
      // RFC 5034 §4: additional data with success (SCRAM's v=) travels in one more
      // continuation, which the client answers with an empty line before +OK.
      const challenge = step.type === 'challenge' ? step.challenge : step.finalData;
      if (challenge === undefined && step.type === 'success') return this.#login(step.identity, 'sasl');
      const answer = await this.#continuation(challenge ?? new Uint8Array(0));
      if (answer === 'cancelled') return err('authentication cancelled');
      if (answer === 'invalid') return err('invalid base64 in SASL response');
      // The client left: this reply only ends the exchange, the socket is already gone.
      if (answer === 'closed') return err('connection closed');
      if (step.type === 'success') {
        if (answer.length > 0) return err(`${this.#code('AUTH')}authentication failed`);
        return this.#login(step.identity, 'sasl');
      }
      response = answer;
    }
  }

  /** Sends a `+ base64` continuation and reads the client's decoded answer. */
  async #continuation(challenge: Uint8Array): Promise<Uint8Array | 'cancelled' | 'invalid' | 'closed'> {
    const text = `+ ${Buffer.from(challenge).toString('base64')}`;
    this.#transcript('server', text);
    await this.#connection.send(`${text}\r\n`);
    const raw = await this.#connection.readLine();
    if (raw === null) {
      this.#close();
      return 'closed';
    }
    const line = raw.toString('latin1').replace(/\r?\n$/, '');
    this.#transcript('client', line === '*' ? '*' : '<redacted>');
    if (line === '*') return 'cancelled';
    if (raw.length > MAX_AUTH_LINE || !BASE64.test(line)) return 'invalid';
    return Buffer.from(line, 'base64');
  }

  #password(user: string): string | undefined {
    const users = this.#context.options.users ?? {};
    return Object.hasOwn(users, user) ? users[user] : undefined;
  }

  #login(username: string, method: FakePop3LoginMethod): Pop3Reply {
    const { options, logins, maildrops } = this.#context;
    if (options.lockedUsers?.includes(username) === true) return err(`${this.#code('IN-USE')}mailbox locked`);
    this.#state = 'transaction';
    this.#maildrop = maildrops.of(username);
    this.#messages = [...this.#maildrop.messages];
    this.info.user = username;
    this.info.method = method;
    const login: FakePop3Login = { username, method, remoteAddress: this.info.remoteAddress, at: Date.now() };
    logins.push(login);
    options.onLogin?.(login);
    return { status: `+OK ${username}'s maildrop has ${this.#messages.length} messages (${this.#totalSize()} octets)` };
  }

  #quit(args: string[]): Pop3Reply {
    if (args.length > 0) return err('QUIT takes no argument');
    this.info.quitAt = Date.now();
    let status = `+OK ${this.#context.hostname} POP3 server signing off`;
    if (this.#state === 'transaction' && this.#maildrop !== undefined) {
      // The UPDATE state: only now do deletions take effect.
      const removed = new Set([...this.#deleted].map((n) => this.#messages[n - 1]).filter((m) => m !== undefined));
      this.#maildrop.remove(removed);
      status += ` (${removed.size} messages deleted, ${this.#maildrop.messages.length} left)`;
    }
    this.#state = 'closed';
    return {
      status,
      after: () => {
        this.#connection.end();
        return Promise.resolve();
      },
    };
  }

  // TRANSACTION state

  #transaction(keyword: string, args: string[]): Pop3Reply {
    switch (keyword) {
      case 'STAT':
        if (args.length > 0) return err('STAT takes no argument');
        return { status: `+OK ${this.#liveNumbers().length} ${this.#totalSize()}` };
      case 'LIST':
      case 'UIDL':
        return this.#listing(keyword, args);
      case 'RETR': {
        if (args.length !== 1) return err('RETR needs a message number');
        const found = this.#message(args[0]);
        if ('status' in found) return found;
        return { status: `+OK ${found.message.size} octets`, body: found.message.wireBody() };
      }
      case 'TOP': {
        const [number, lines] = args;
        if (args.length !== 2 || lines === undefined || !/^\d{1,9}$/.test(lines)) return err('TOP needs a message number and a line count');
        const found = this.#message(number);
        if ('status' in found) return found;
        return { status: '+OK top of message follows', body: found.message.wireTop(Number(lines)) };
      }
      case 'DELE': {
        if (args.length !== 1) return err('DELE needs a message number');
        const number = parseNumber(args[0]);
        if (number !== undefined && this.#deleted.has(number)) return err(`message ${number} already deleted`);
        const found = this.#message(args[0]);
        if ('status' in found) return found;
        this.#deleted.add(found.number);
        this.info.deleted = [...this.#deleted].sort((a, b) => a - b);
        return { status: `+OK message ${found.number} deleted` };
      }
      case 'RSET':
        if (args.length > 0) return err('RSET takes no argument');
        this.#deleted.clear();
        this.info.deleted = [];
        return { status: `+OK maildrop has ${this.#messages.length} messages (${this.#totalSize()} octets)` };
      default:
        if (args.length > 0) return err('NOOP takes no argument');
        return { status: '+OK' };
    }
  }

  #listing(keyword: 'LIST' | 'UIDL', args: string[]): Pop3Reply {
    const describe = (n: number, message: StoredMessage): string => `${n} ${keyword === 'LIST' ? message.size : message.uid}`;
    if (args.length > 1) return err(`${keyword} takes at most a message number`);
    if (args.length === 1) {
      const found = this.#message(args[0]);
      if ('status' in found) return found;
      return { status: `+OK ${describe(found.number, found.message)}` };
    }
    const numbers = this.#liveNumbers();
    const lines = numbers.map((n) => describe(n, this.#messages[n - 1] as StoredMessage));
    return { status: keyword === 'LIST' ? `+OK ${numbers.length} messages (${this.#totalSize()} octets)` : '+OK unique-id listing follows', lines };
  }

  #message(arg: string | undefined): { number: number; message: StoredMessage } | Pop3Reply {
    const number = parseNumber(arg);
    if (number === undefined) return err('invalid message number');
    const message = this.#messages[number - 1];
    if (message === undefined || this.#deleted.has(number)) return err(`no such message, only ${this.#liveNumbers().length} messages in maildrop`);
    return { number, message };
  }

  #liveNumbers(): number[] {
    return this.#messages.map((_, index) => index + 1).filter((n) => !this.#deleted.has(n));
  }

  #totalSize(): number {
    return this.#liveNumbers().reduce((sum, n) => sum + (this.#messages[n - 1]?.size ?? 0), 0);
  }
}

function* slices(bytes: Uint8Array): Iterable<Uint8Array> {
  for (let start = 0; start < bytes.length; start += SLICE_BYTES) yield bytes.subarray(start, start + SLICE_BYTES);
}

function err(text: string): Pop3Reply {
  return { status: `-ERR ${text}` };
}

function parseNumber(arg: string | undefined): number | undefined {
  return arg !== undefined && /^[1-9]\d{0,8}$/.test(arg) ? Number(arg) : undefined;
}
