import { SystemMailError } from '../errors.js';

/** The command line cannot be understood (exit code 2): an unknown command or flag, a missing value, a password in argv. */
export class CliUsageError extends SystemMailError {}
