/**
 * Moves the deadline of a running step: from now on it expires `ms`
 * milliseconds from now, and a timeout is reported under `phase`.
 */
export type DeadlineRestart = (phase: string, ms: number) => void;

/**
 * A total deadline that a long exchange moves on at each of its steps (a
 * pipelined retrieval restarts it for every response) without a timer being
 * created and cleared per step, which is what such an exchange would
 * otherwise spend much of its time on.
 *
 * One timer is kept per distinct duration. A restart only records the new
 * expiry; a timer that fires before the current expiry re-arms itself for
 * what remains, and one whose duration is no longer current lapses. So the
 * timer of the current duration is always due no later than the expiry, and
 * a stalled step is cut off on time.
 */
export class RearmableDeadline {
  readonly #onExpired: (phase: string, ms: number) => void;
  readonly #timers = new Map<number, NodeJS.Timeout>();
  #phase: string;
  #ms: number;
  #expiresAt: number;

  /**
   * Starts the deadline.
   *
   * @param phase - the phase a timeout is reported under
   * @param ms - milliseconds from now
   * @param onExpired - called once when the current expiry passes, with the phase and duration then current
   */
  constructor(phase: string, ms: number, onExpired: (phase: string, ms: number) => void) {
    this.#onExpired = onExpired;
    this.#phase = phase;
    this.#ms = ms;
    this.#expiresAt = performance.now() + ms;
    this.#arm(ms, ms);
  }

  /** Moves the expiry to `ms` milliseconds from now, reported under `phase`. */
  readonly restart: DeadlineRestart = (phase, ms) => {
    this.#phase = phase;
    this.#ms = ms;
    this.#expiresAt = performance.now() + ms;
    // An armed timer of this duration was armed no later than now for no longer than `ms`: it is due in time.
    if (!this.#timers.has(ms)) this.#arm(ms, ms);
  };

  /** Stops every timer; the deadline never fires after this. */
  cancel(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #arm(ms: number, delay: number): void {
    this.#timers.set(ms, setTimeout(() => this.#check(ms), delay));
  }

  #check(ms: number): void {
    this.#timers.delete(ms);
    if (ms !== this.#ms) return;
    const left = this.#expiresAt - performance.now();
    if (left > 0) {
      // Whole milliseconds: Node keeps one timer list per distinct duration.
      this.#arm(ms, Math.ceil(left));
      return;
    }
    this.cancel();
    this.#onExpired(this.#phase, ms);
  }
}
