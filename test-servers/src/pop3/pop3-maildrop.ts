import { createHash } from 'node:crypto';
import { DotStuffer, stuffMessage, topCut } from './dot-stuffing.js';
import type { FakePop3GeneratedMessage, FakePop3Message } from './fake-pop3-types.js';

/** One message of a maildrop, with its unique id and its wire form computed at most once. */
export class StoredMessage {
  /** The UIDL unique id: fixed when the maildrop is built, so it survives other messages' deletion. */
  readonly uid: string;
  /** The size LIST and STAT report: the message as served, CRLF-terminated. */
  readonly size: number;
  readonly #source: Uint8Array | FakePop3GeneratedMessage;
  #stuffed: Uint8Array | undefined;

  /**
   * Wraps one configured message.
   * @param message - the message as configured
   * @param position - its 1-based position in the configured list, part of the default unique id
   */
  constructor(message: FakePop3Message, position: number) {
    if (typeof message === 'string' || message instanceof Uint8Array) {
      const bytes = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
      this.#source = bytes;
      this.size = bytes.length + (bytes.length === 0 || endsWithCrlf(bytes) ? 0 : 2);
      this.uid = createHash('sha1').update(`${position}:`).update(bytes).digest('hex');
    } else {
      this.#source = message;
      this.size = message.size;
      this.uid = message.uid ?? createHash('sha1').update(`generated:${position}:${message.size}`).digest('hex');
    }
  }

  /** The message bytes as configured (a generated message is materialised). */
  content(): Uint8Array {
    const source = this.#source;
    return source instanceof Uint8Array ? source : Buffer.concat([...source.chunks()]);
  }

  /**
   * The RETR body: dot-stuffed, CRLF-terminated, without the final `.\r\n`. In-memory
   * messages are stuffed once and cached; generated ones are stuffed as they stream.
   */
  wireBody(): Uint8Array | Iterable<Uint8Array> {
    const source = this.#source;
    if (source instanceof Uint8Array) {
      this.#stuffed ??= stuffMessage(source);
      return this.#stuffed;
    }
    return stuffChunks(source.chunks());
  }

  /**
   * The TOP body: header, blank line and the first `lines` body lines, dot-stuffed.
   * @param lines - how many body lines
   */
  wireTop(lines: number): Uint8Array {
    const source = this.#source;
    if (source instanceof Uint8Array) return stuffMessage(source.subarray(0, topCut(source, lines) ?? source.length));
    let seen: Buffer = Buffer.alloc(0);
    for (const chunk of source.chunks()) {
      seen = Buffer.concat([seen, chunk]);
      const cut = topCut(seen, lines);
      if (cut !== undefined) return stuffMessage(seen.subarray(0, cut));
    }
    return stuffMessage(seen);
  }
}

function* stuffChunks(chunks: Iterable<Uint8Array>): Iterable<Uint8Array> {
  const stuffer = new DotStuffer();
  for (const chunk of chunks) yield stuffer.push(chunk);
  yield stuffer.finish();
}

function endsWithCrlf(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[bytes.length - 2] === 0x0d && bytes[bytes.length - 1] === 0x0a;
}

/** A maildrop: its messages in order. QUIT in the UPDATE state removes the deleted ones. */
export class Maildrop {
  /** The messages, in order; message number n is `messages[n - 1]` at login time. */
  messages: StoredMessage[];

  /**
   * Builds a maildrop from configured messages.
   * @param messages - the messages, in order
   */
  constructor(messages: readonly FakePop3Message[]) {
    this.messages = messages.map((message, index) => new StoredMessage(message, index + 1));
  }

  /**
   * Removes messages (the UPDATE state), by identity, so concurrent sessions do not clash.
   * @param removed - the messages to remove
   */
  remove(removed: ReadonlySet<StoredMessage>): void {
    this.messages = this.messages.filter((message) => !removed.has(message));
  }
}

/** Which maildrop each user sees: one shared maildrop, or one per user. */
export class MaildropDirectory {
  readonly #shared: Maildrop | undefined;
  readonly #perUser = new Map<string, Maildrop>();

  /**
   * Builds the maildrops from the server options.
   * @param mailbox - the maildrop every user shares
   * @param mailboxes - per-user maildrops; when given, `mailbox` is ignored
   */
  constructor(mailbox: readonly FakePop3Message[] | undefined, mailboxes: Record<string, FakePop3Message[]> | undefined) {
    if (mailboxes === undefined) {
      this.#shared = new Maildrop(mailbox ?? []);
    } else {
      for (const [user, messages] of Object.entries(mailboxes)) this.#perUser.set(user, new Maildrop(messages));
    }
  }

  /**
   * The maildrop of a user (an empty one is created for a user without messages).
   * @param user - the username
   */
  of(user: string): Maildrop {
    if (this.#shared !== undefined) return this.#shared;
    let maildrop = this.#perUser.get(user);
    if (maildrop === undefined) {
      maildrop = new Maildrop([]);
      this.#perUser.set(user, maildrop);
    }
    return maildrop;
  }
}
