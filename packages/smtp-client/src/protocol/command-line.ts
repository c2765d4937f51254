import { SmtpArgumentError, type SmtpPhase } from '../smtp-error.js';

const FORBIDDEN = /[\r\n\0]/;

/**
 * Refuses a command argument that contains CR, LF or NUL: any of them would
 * let a caller's data end the command early and smuggle another one in.
 *
 * @param value - the argument
 * @param phase - the session step the argument is for
 * @param what - what the argument is, for the message
 * @throws {@link SmtpArgumentError} when the argument contains CR, LF or NUL
 */
export function refuseLineBreaks(value: string, phase: SmtpPhase, what: string): void {
  if (FORBIDDEN.test(value)) {
    throw new SmtpArgumentError(phase, `The ${what} contains a CR, LF or NUL character, which would inject SMTP commands; nothing was sent.`);
  }
}

const encoder = new TextEncoder();

/**
 * Encodes command lines for the wire, each ended by CRLF, in one buffer so that
 * a pipelined group goes out in one write.
 *
 * @param lines - complete command lines without line endings
 * @param phase - the session step, for the error
 * @returns the bytes to send
 * @throws {@link SmtpArgumentError} when a line contains CR, LF or NUL
 */
export function encodeCommandLines(lines: readonly string[], phase: SmtpPhase): Uint8Array {
  for (const line of lines) refuseLineBreaks(line, phase, 'command');
  return encoder.encode(lines.map((line) => `${line}\r\n`).join(''));
}
