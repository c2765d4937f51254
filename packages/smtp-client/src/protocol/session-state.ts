import { SmtpArgumentError, type SmtpPhase } from '../smtp-error.js';

/**
 * Where an SMTP session stands (RFC 5321 §3–4, RFC 3207, RFC 4954):
 * - `greeting`: connected, waiting for the 220.
 * - `ehlo`: greeted (or freshly upgraded to TLS), EHLO/HELO not yet accepted.
 * - `ready`: between transactions; STARTTLS, AUTH, MAIL and QUIT are allowed.
 * - `transaction`: MAIL accepted or sent; RCPT, DATA/BDAT, then back to `ready` after the final reply or RSET.
 * - `closed`: QUIT answered, or the connection ended.
 */
export type SessionStage = 'greeting' | 'ehlo' | 'ready' | 'transaction' | 'closed';

/**
 * The session's state machine. The client moves it on at each step and asks it
 * before each command, so that a call in the wrong state fails locally with a
 * clear message instead of drawing a 503 from the server.
 */
export class SessionState {
  #stage: SessionStage = 'greeting';
  #secure: boolean;
  #authenticated = false;

  /**
   * Creates the state of a new connection.
   *
   * @param secure - whether the connection starts over TLS (implicit TLS)
   */
  constructor(secure: boolean) {
    this.#secure = secure;
  }

  /** The current stage. */
  get stage(): SessionStage {
    return this.#stage;
  }

  /** Whether AUTH succeeded in this session (reset by STARTTLS, which starts the session over). */
  get authenticated(): boolean {
    return this.#authenticated;
  }

  /** The 220 greeting arrived. */
  greeted(): void {
    this.#move('greeting', 'ehlo', 'greeting');
  }

  /** EHLO or HELO was accepted. */
  identified(): void {
    this.#move('ehlo', 'ready', 'ehlo');
  }

  /** The TLS upgrade succeeded: RFC 3207 §4.2 starts the session over at EHLO. */
  upgraded(): void {
    if (this.#secure) throw new SmtpArgumentError('starttls', 'The connection is already secure; STARTTLS cannot be sent twice.');
    this.#move('ready', 'ehlo', 'starttls');
    this.#secure = true;
    this.#authenticated = false;
  }

  /**
   * Checks that AUTH may be sent now.
   *
   * @throws {@link SmtpArgumentError} when already authenticated (RFC 4954 §4 forbids a second AUTH) or not between transactions
   */
  checkCanAuthenticate(): void {
    this.#expect('ready', 'auth');
    if (this.#authenticated) throw new SmtpArgumentError('auth', 'This session is already authenticated; RFC 4954 allows one AUTH per session. Connect again to use other credentials.');
  }

  /** AUTH succeeded. */
  authenticatedNow(): void {
    this.checkCanAuthenticate();
    this.#authenticated = true;
  }

  /** MAIL is being sent. */
  beginTransaction(): void {
    this.#move('ready', 'transaction', 'mail');
  }

  /** The transaction ended: the final reply arrived, or RSET was accepted. */
  endTransaction(): void {
    this.#move('transaction', 'ready', 'mail');
  }

  /** The session is over. */
  close(): void {
    this.#stage = 'closed';
  }

  #expect(stage: SessionStage, phase: SmtpPhase): void {
    if (this.#stage !== stage) {
      throw new SmtpArgumentError(phase, `The SMTP session is at stage '${this.#stage}', where ${phase.toUpperCase()} is not allowed (it needs '${stage}').`);
    }
  }

  #move(from: SessionStage, to: SessionStage, phase: SmtpPhase): void {
    this.#expect(from, phase);
    this.#stage = to;
  }
}
