import { Readable } from 'node:stream';

/**
 * Where a {@link MessageStream} pulls its bytes from. The two halves are apart
 * so that bytes already received are handed over without a promise per chunk.
 */
export interface MessageSource {
  /** The next un-stuffed chunk already received, `null` at the terminator, or `undefined` when more must be read. */
  take(): Uint8Array | null | undefined;
  /** Reads more from the server. */
  fill(): Promise<void>;
}

/**
 * The Readable that `retrieveStream` returns. It reads from the connection only
 * when its consumer wants more (`_read`), so a slow consumer makes TCP push back
 * on the server. Destroyed before the end, it keeps reading and discards the
 * rest of the message, so the session stays usable and the next command
 * starts at a response boundary.
 */
export class MessageStream extends Readable {
  #source: MessageSource | undefined;
  #wanted = false;
  #pumping = false;
  #discarding = false;
  #finished = false;
  readonly #onFinished: (error?: unknown) => void;

  /**
   * Creates a stream that waits for {@link MessageStream.start}.
   *
   * @param onFinished - called once when the wire side is done: the terminator was read (no argument) or reading failed
   */
  constructor(onFinished: (error?: unknown) => void) {
    super();
    this.#onFinished = onFinished;
  }

  /**
   * Starts pulling from the connection once the server's `+OK` has been read.
   *
   * @param source - the body reader
   */
  start(source: MessageSource): void {
    this.#source = source;
    if (this.#wanted || this.#discarding) void this.#pump();
  }

  /**
   * Fails the stream before it started (the server answered `-ERR`, or the command failed).
   *
   * @param error - why
   */
  fail(error: Error): void {
    this.#finish(error);
    this.destroy(error);
  }

  /** Called by Readable when the consumer wants more bytes. */
  override _read(): void {
    this.#wanted = true;
    if (this.#source !== undefined) void this.#pump();
  }

  /**
   * Called by Readable on `destroy()`: keeps draining the message so the session stays in sync.
   *
   * @param error - the error destroying the stream, if any
   * @param callback - completes the destruction
   */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#finished) {
      this.#discarding = true;
      if (this.#source !== undefined) void this.#pump();
    }
    callback(error);
  }

  async #pump(): Promise<void> {
    const source = this.#source;
    if (this.#pumping || this.#finished || source === undefined) return;
    this.#pumping = true;
    try {
      while ((this.#wanted || this.#discarding) && !this.#finished) {
        const chunk = source.take();
        if (chunk === undefined) {
          await source.fill();
          continue;
        }
        if (chunk === null) {
          this.#finish();
          if (!this.#discarding) this.push(null);
          return;
        }
        if (!this.#discarding) this.#wanted = this.push(chunk);
      }
    } catch (error) {
      this.#finish(error);
      if (!this.destroyed) this.destroy(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.#pumping = false;
    }
  }

  #finish(error?: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#onFinished(error);
  }
}
