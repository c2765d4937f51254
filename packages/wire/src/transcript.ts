/** Who a transcript line came from: the client, the server, or the connection itself. */
export type TranscriptDirection = 'client' | 'server' | 'info';

/** One line of a protocol transcript. */
export interface TranscriptEntry {
  /** Who said it. */
  direction: TranscriptDirection;
  /** The line without its line ending, secrets already redacted. */
  text: string;
}

/** Receives transcript entries as they happen. */
export type TranscriptListener = (entry: TranscriptEntry) => void;

/** The text that stands in for anything secret. */
export const REDACTED = '<redacted>';

/**
 * Secrets shorter than this are not scrubbed from free text: scrubbing a
 * two-letter password would garble every line that happens to contain those
 * letters. Such secrets still never reach the transcript, because the protocol
 * clients redact every secret-bearing line explicitly; the scrubber is the
 * second line of defence.
 */
const MIN_SCRUBBED_SECRET_LENGTH = 4;

/**
 * A protocol transcript with redaction. The protocol clients report each line
 * they send and receive; lines that carry credentials are reported with
 * {@link Transcript.client}'s `redacted` form, and every secret registered with
 * {@link Transcript.addSecret} is scrubbed from whatever text is emitted, so a
 * password can reach a listener only if it is shorter than four characters
 * *and* a client forgot to redact the line.
 */
export class Transcript {
  readonly #listener: TranscriptListener | undefined;
  readonly #secrets = new Set<string>();

  /**
   * Creates a transcript.
   *
   * @param listener - where entries go; without one, the transcript costs nothing
   */
  constructor(listener?: TranscriptListener) {
    this.#listener = listener;
  }

  /** True when someone listens, so callers can skip building expensive text. */
  get enabled(): boolean {
    return this.#listener !== undefined;
  }

  /**
   * Registers a secret (a password, a token, an encoded credential) to be
   * scrubbed from every later entry.
   *
   * @param secret - the secret text
   */
  addSecret(secret: string): void {
    if (secret.length >= MIN_SCRUBBED_SECRET_LENGTH) this.#secrets.add(secret);
  }

  /**
   * Reports a line the client sent.
   *
   * @param text - the line as sent, without its line ending
   * @param redacted - when the line carries a secret, the form to show instead
   */
  client(text: string, redacted?: string): void {
    this.#emit('client', redacted ?? text);
  }

  /**
   * Reports a line the server sent.
   *
   * @param text - the line as received, without its line ending
   * @param redacted - when the line carries a secret (a SASL challenge), the form to show instead
   */
  server(text: string, redacted?: string): void {
    this.#emit('server', redacted ?? text);
  }

  /**
   * Reports something about the connection itself (TLS parameters, the peer certificate).
   *
   * @param text - the note
   */
  info(text: string): void {
    this.#emit('info', text);
  }

  /**
   * Scrubs every registered secret out of a text. Exposed so that error messages
   * built from server replies can go through the same filter.
   *
   * @param text - any text
   * @returns the text with every registered secret replaced by {@link REDACTED}
   */
  scrub(text: string): string {
    let scrubbed = text;
    for (const secret of this.#secrets) {
      if (scrubbed.includes(secret)) scrubbed = scrubbed.split(secret).join(REDACTED);
    }
    return scrubbed;
  }

  #emit(direction: TranscriptDirection, text: string): void {
    if (this.#listener === undefined) return;
    this.#listener({ direction, text: this.scrub(text) });
  }
}
