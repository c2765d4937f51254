import type { Readable } from 'node:stream';

/**
 * A message to send: the complete RFC 5322 text (headers, blank line, body) as
 * a string (sent as UTF-8), bytes, or a stream of bytes. Streams are read
 * chunk by chunk as the connection accepts them, so a message of any size is
 * sent in constant memory. Line ends may be CRLF, LF or CR: they are
 * normalised to CRLF.
 */
export type SmtpMessage = string | Uint8Array | AsyncIterable<Uint8Array> | Readable;

/** Largest piece of an in-memory message handed to the encoder at once, so writes stay small. */
const SLICE_BYTES = 64 * 1024;

/**
 * The bytes of an in-memory message, or `undefined` for a stream.
 *
 * @param message - the message
 * @returns its bytes when it is a string or bytes
 */
export function inMemoryBytes(message: SmtpMessage): Uint8Array | undefined {
  if (typeof message === 'string') return new TextEncoder().encode(message);
  if (message instanceof Uint8Array) return message;
  return undefined;
}

/**
 * The message as a sequence of byte chunks. A stream may yield strings (a
 * `Readable` with an encoding set): they are sent as UTF-8.
 *
 * @param message - the message
 * @param bytes - its bytes when in memory (from {@link inMemoryBytes})
 * @returns the chunks
 * @throws TypeError when a stream yields something other than bytes or text
 */
export async function* messageChunks(message: SmtpMessage, bytes: Uint8Array | undefined): AsyncGenerator<Uint8Array> {
  if (bytes !== undefined) {
    for (let offset = 0; offset < bytes.length; offset += SLICE_BYTES) yield bytes.subarray(offset, offset + SLICE_BYTES);
    return;
  }
  for await (const chunk of message as AsyncIterable<unknown>) {
    if (chunk instanceof Uint8Array) yield chunk;
    else if (typeof chunk === 'string') yield new TextEncoder().encode(chunk);
    else throw new TypeError(`The message stream yielded a ${typeof chunk}; it must yield Uint8Array (or string) chunks.`);
  }
}
