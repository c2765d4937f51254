/**
 * The `system-mail` command's exit codes: 0 success, 1 settings refused or
 * not usable (validation, configuration, 使用しない, 要認可), 2 usage error,
 * 3 delivery or connection failure, 4 settings store failure.
 */
export const EXIT_CODES = {
  /** Success. */
  ok: 0,
  /** Validation or configuration error: the settings are refused, incomplete, disabled or not authorized. */
  config: 1,
  /** Usage error: unknown command or flag, missing value, a password on the command line. */
  usage: 2,
  /** Delivery failure: a server refused, timed out or could not be reached. */
  delivery: 3,
  /** Settings store error: wrong key, tampered or unreadable file. */
  store: 4,
} as const;

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
