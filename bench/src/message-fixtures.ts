/**
 * The bytes every client sends or expects, identical to what the native sinks
 * and limit clients use: 64-byte lines of 62 letters and CRLF, none starting
 * with a dot, so no client pays for stuffing the others skip.
 */
export const LINE_BYTES = 64;

/**
 * One line-aligned block of message text.
 *
 * @param length - a multiple of 64
 * @param subject - when given, the first line is a Subject header (padded to 64 bytes) followed by the header/body separator
 * @returns the bytes
 */
export function messageBlock(length: number, subject?: string): Buffer {
  if (length % LINE_BYTES !== 0) throw new RangeError(`message size must be a multiple of ${LINE_BYTES}`);
  const block = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += LINE_BYTES) {
    block.fill(97 + ((offset / LINE_BYTES) % 26), offset, offset + 62);
    block[offset + 62] = 13;
    block[offset + 63] = 10;
  }
  if (subject !== undefined) {
    const header = `Subject: ${subject}`.padEnd(60, ' ') + '\r\n\r\n';
    block.write(header, 0, 'latin1');
  }
  return block;
}

/** The chunk size large messages are produced in. */
export const CHUNK_BYTES = 1024 * 1024;

/**
 * A large message as a stream of chunks, so no client is handed the whole
 * message in memory unless its API demands it.
 *
 * @param size - total bytes, a multiple of 64
 */
export async function* largeMessage(size: number): AsyncGenerator<Buffer> {
  const block = messageBlock(Math.min(size, CHUNK_BYTES), 'large');
  const body = messageBlock(Math.min(size, CHUNK_BYTES));
  let left = size;
  let first = true;
  while (left > 0) {
    const chunk = left >= CHUNK_BYTES ? (first ? block : body) : (first ? block : body).subarray(0, left);
    first = false;
    left -= chunk.length;
    yield chunk;
  }
}

let workStart = 0;

/**
 * Prints, as `work-seconds N` on stdout, the time since {@link driverArguments}
 * was called: the client's own work, without the process start-up and module
 * loading that the whole-process time includes.
 */
export function reportWork(): void {
  process.stdout.write(`work-seconds ${((performance.now() - workStart) / 1000).toFixed(6)}\n`);
}

/** Arguments every driver takes: `PORT COUNT SIZE [auth]`. */
export interface DriverArguments {
  /** The sink's port on 127.0.0.1. */
  port: number;
  /** How many messages. */
  count: number;
  /** Bytes per message. */
  size: number;
  /** Authenticate with AUTH PLAIN first. */
  auth: boolean;
}

/**
 * Parses a driver's command line, and starts the clock of {@link reportWork}.
 *
 * @param argv - `process.argv.slice(2)`
 * @returns the arguments
 */
export function driverArguments(argv: readonly string[]): DriverArguments {
  workStart = performance.now();
  const [port, count, size, auth] = argv;
  if (port === undefined || count === undefined || size === undefined) throw new Error('usage: DRIVER PORT COUNT SIZE [auth]');
  return { port: Number(port), count: Number(count), size: Number(size), auth: auth === 'auth' };
}
